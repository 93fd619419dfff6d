"""The loan slip: what the borrower takes home and signs at the desk.

One A4 page (more if the agreement is long) with the device, the due date, the
accessories handed over and the agreement text with its version and hash, so the
paper proves which text was accepted. It names the borrower because it is for
the borrower; it is made on request and never stored.
"""

from collections.abc import Mapping

from fpdf.enums import XPos
from fpdf.enums import YPos

from assettrack.extensions import db
from assettrack.models import Loan
from assettrack.models import LoanAgreement
from assettrack.models import Location
from assettrack.pdf import Document

# The lead moves these into the translation layer with the certificate's texts.
TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Uitleenbewijs",
        "lender": "Uitgeleend door",
        "borrower": "Lener",
        "device": "Toestel",
        "serial": "serienummer",
        "lent": "Uitgeleend op",
        "due": "Terug te brengen uiterlijk op",
        "accessories": "Meegegeven toebehoren",
        "none": "geen",
        "agreement": "Leenovereenkomst, versie {version}",
        "no_agreement": "Er geldt geen schriftelijke leenovereenkomst.",
        "hash": "SHA-256 van de tekst: {sha256}",
        "sign_borrower": "Handtekening lener",
        "sign_desk": "Handtekening voor de digileenplek",
        "charger": "lader",
        "bag": "tas",
        "mouse": "muis",
        "other": "ander",
    },
    "en": {
        "title": "Loan slip",
        "lender": "Lent by",
        "borrower": "Borrower",
        "device": "Device",
        "serial": "serial number",
        "lent": "Lent on",
        "due": "To be returned by",
        "accessories": "Accessories handed over",
        "none": "none",
        "agreement": "Loan agreement, version {version}",
        "no_agreement": "No written loan agreement applies.",
        "hash": "SHA-256 of the text: {sha256}",
        "sign_borrower": "Borrower's signature",
        "sign_desk": "Signature for the lending point",
        "charger": "charger",
        "bag": "bag",
        "mouse": "mouse",
        "other": "other",
    },
    "fr": {
        "title": "Bon de prêt",
        "lender": "Prêté par",
        "borrower": "Emprunteur",
        "device": "Appareil",
        "serial": "numéro de série",
        "lent": "Prêté le",
        "due": "À rendre au plus tard le",
        "accessories": "Accessoires remis",
        "none": "aucun",
        "agreement": "Contrat de prêt, version {version}",
        "no_agreement": "Aucun contrat de prêt écrit ne s'applique.",
        "hash": "SHA-256 du texte : {sha256}",
        "sign_borrower": "Signature de l'emprunteur",
        "sign_desk": "Signature pour le point de prêt",
        "charger": "chargeur",
        "bag": "sacoche",
        "mouse": "souris",
        "other": "autre",
    },
}


class _Slip(Document):
    def __init__(self) -> None:
        super().__init__(margin=18)

    def line_of(self, label: str, value, size: float = 10) -> None:
        self.set_font(self.family, "B", size)
        self.cell(62, 6, self.t(label))
        self.set_font(self.family, "", size)
        self.multi_cell(0, 6, self.t(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def slip_facts(loan: Loan) -> dict:
    """What the slip prints, read once from the loan and what it links to."""
    location = db.session.get(Location, loan.location_id)
    agreement = loan.agreement_id and db.session.get(LoanAgreement, loan.agreement_id)
    identity = loan.borrower and loan.borrower.identity
    device = loan.device
    return {
        "organisation": location.organisation.name
        if location and location.organisation
        else "",
        "place": location.name if location else "",
        "borrower_code": loan.borrower.code if loan.borrower else "",
        "borrower_name": identity.name if identity else "",
        "language": identity.language if identity else "nl",
        "device": f"{device.asset_tag}  {device.make} {device.model}".strip(),
        "serial": device.serial or "",
        "lent_on": loan.lent_at.date().isoformat(),
        "due_on": loan.due_on.isoformat(),
        "accessories": list(loan.accessories_out or []),
        "agreement": agreement
        and {"version": agreement.version, "text": agreement.text},
        "agreement_sha256": loan.agreement_sha256,
    }


def render_slip(facts: Mapping, language: str | None = None) -> bytes:
    texts = TEXTS.get(language or facts["language"], TEXTS["nl"])
    pdf = _Slip()
    pdf.set_title(f"{texts['title']} {facts['device']}")
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 16)
    pdf.cell(0, 10, pdf.t(texts["title"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.line_of(texts["lender"], f"{facts['organisation']}, {facts['place']}")
    pdf.line_of(
        texts["borrower"], f"{facts['borrower_code']}  {facts['borrower_name']}"
    )
    device = facts["device"]
    if facts["serial"]:
        device += f" ({texts['serial']} {facts['serial']})"
    pdf.line_of(texts["device"], device)
    pdf.line_of(texts["lent"], facts["lent_on"])
    pdf.line_of(texts["due"], facts["due_on"], size=12)
    things = [texts.get(a, a) for a in facts["accessories"]] or [texts["none"]]
    pdf.line_of(texts["accessories"], ", ".join(things))
    pdf.ln(4)
    agreement = facts["agreement"]
    pdf.set_font(pdf.family, "B", 11)
    if agreement:
        title = texts["agreement"].format(version=agreement["version"])
        pdf.cell(0, 7, pdf.t(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(pdf.family, "", 9.5)
        pdf.multi_cell(
            0, 5, pdf.t(agreement["text"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.set_font(pdf.family, "", 7)
        pdf.set_text_color(90)
        digest = texts["hash"].format(sha256=facts["agreement_sha256"])
        pdf.multi_cell(0, 4, pdf.t(digest), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
    else:
        pdf.set_font(pdf.family, "", 9.5)
        pdf.cell(
            0, 6, pdf.t(texts["no_agreement"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    if pdf.get_y() > pdf.h - 60:
        pdf.add_page()
    pdf.ln(14)
    y = pdf.get_y() + 12
    pdf.set_draw_color(0)
    half = (pdf.w - pdf.l_margin - pdf.r_margin - 10) / 2
    for i, label in enumerate((texts["sign_borrower"], texts["sign_desk"])):
        x = pdf.l_margin + i * (half + 10)
        pdf.line(x, y, x + half, y)
        pdf.set_xy(x, y + 1)
        pdf.set_font(pdf.family, "", 8)
        pdf.cell(half, 5, pdf.t(label))
    return bytes(pdf.output())
