"""The certificate PDF: what a donor reads, plus the signed data a machine checks.

Library: fpdf2. It writes PDF attachments (``embed_file``: the PDF EmbeddedFiles
name tree every reader shows in its attachments pane), draws tables that break
across pages and repeat their heading row, embeds and subsets TrueType fonts
for names in any script, and is pure Python with fonttools and Pillow, already
here. reportlab has no API for attachments (only annotations, by hand); pypdf
reads PDFs but does not lay out pages, so it is used for the other direction:
``extract`` reads the attachments back from an uploaded file.

The signed JSON and its signature travel as two attachments, ``certificate.json``
(the exact signed text, uncompressed so anyone can open it) and
``certificate.sig`` (base64). Attachments rather than document metadata because
readers and "print to PDF" rewrite the Info dictionary and XMP, and its strings
are PDFDocEncoding/UTF-16 rather than the bytes we signed. The pages are drawn
from the signed payload itself, so what is printed is what is signed.

The certificate, a JSON object (unknown keys are kept and signed, not shown):

- ``number`` (numbers.py), ``scope`` ("device" or "batch"), ``issued_at`` (ISO
  8601), ``language`` ("nl", "en", "fr"), ``verify_url``, ``key_id`` (optional);
- ``organisation``: ``name``, ``address``, ``contact`` (who sanitised);
- ``donor``: ``name``, ``reference`` (the donation: batch reference, received on);
- ``devices``: ``tag``, ``make``, ``model``, ``serial`` and ``disks``, each disk
  ``model``, ``serial``, ``size_gb``, ``interface``, ``media`` (hdd, ssd, nvme,
  emmc), ``method`` (clear, purge, destroy), ``technique``, ``passes``, ``tool``,
  ``tool_version``, ``verification`` (none, sampled, full),
  ``verification_result``, ``hidden_areas`` (HPA/DCO: handled, not_handled,
  none), ``outcome`` (erased, failed, aborted), ``operator``, ``started_at``,
  ``finished_at``;
- ``pending`` (batch only): devices whose erasure is not complete, ``tag``,
  ``make``, ``model``, ``serial``, ``reason``.

Never put borrower data in it: the certificate is shown to anyone with its number.
"""

import io
import json
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fpdf import FontFace
from fpdf.enums import XPos
from fpdf.enums import YPos

from assettrack.certificates.signing import sign
from assettrack.pdf import Document
from assettrack.pdf import draw_qr

PAYLOAD_NAME = "certificate.json"
SIGNATURE_NAME = "certificate.sig"
MAX_PAYLOAD_BYTES = 5 * 1024 * 1024  # a 50-device batch is ~60 kB
TIMEZONE = "Europe/Brussels"
QR_SIDE_MM = 30.0

# All text on the certificate, per language: the lead moves these into the
# translation layer. Codes (media, method, ...) without an entry print as-is.
TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Certificaat van gegevensvernietiging",
        "number": "Certificaatnummer",
        "issued": "Uitgereikt op",
        "organisation": "Uitgevoerd door",
        "donor": "Schenker",
        "reference": "Schenking",
        "scope": "Omvang",
        "scope_device": "1 toestel",
        "scope_batch": "{done} toestellen gewist, {pending} nog in behandeling",
        "statement": (
            "{organisation} verklaart dat de gegevens op de hieronder vermelde"
            " opslagmedia werden vernietigd zoals per schijf vermeld, in de termen"
            " van NIST SP 800-88 en IEEE 2883 (Clear, Purge, Destroy)."
        ),
        "devices": "Toestellen en schijven",
        "col_disk": "Schijf (model, serienr.)",
        "col_size": "Grootte, type",
        "col_method": "Niveau, techniek",
        "col_tool": "Software",
        "col_verification": "Controle",
        "col_outcome": "Resultaat",
        "col_operator": "Uitgevoerd door",
        "col_time": "Begin, einde",
        "no_disks": "geen opslag geregistreerd",
        "serial": "S/N",
        "passes": "{n}x",
        "hidden": "HPA/DCO",
        "pending": "Nog niet gewist (niet gedekt door dit certificaat)",
        "pending_reason": "Reden",
        "device": "Toestel",
        "verify": "Controleer dit certificaat:",
        "signature": (
            "Digitaal ondertekend met Ed25519{key}. De ondertekende gegevens zitten"
            " als bijlage {payload} in dit PDF-bestand; de handtekening als"
            " {signature}. Upload het bestand op de controlepagina of scan de"
            " QR-code om na te gaan dat niets werd gewijzigd."
        ),
        "signature_value": "Handtekening",
        "key": ", sleutel {key_id}",
        "page": "Pagina {page} van {{nb}}",
        "hdd": "HDD",
        "ssd": "SATA-SSD",
        "nvme": "NVMe-SSD",
        "emmc": "eMMC",
        "clear": "Clear",
        "purge": "Purge",
        "destroy": "Destroy",
        "overwrite": "overschrijven",
        "ata_secure_erase": "ATA Secure Erase",
        "ata_sanitize_block": "ATA Sanitize (block)",
        "ata_sanitize_crypto": "ATA Sanitize (crypto)",
        "ata_sanitize_overwrite": "ATA Sanitize (overwrite)",
        "nvme_sanitize_block": "NVMe Sanitize (block)",
        "nvme_sanitize_crypto": "NVMe Sanitize (crypto)",
        "nvme_sanitize_overwrite": "NVMe Sanitize (overwrite)",
        "nvme_format": "NVMe Format",
        "physical_destruction": "fysieke vernietiging",
        "none": "geen",
        "sampled": "steekproef",
        "full": "volledig",
        "passed": "geslaagd",
        "erased": "gewist",
        "failed": "mislukt",
        "aborted": "afgebroken",
        "handled": "behandeld",
        "not_handled": "niet behandeld",
        "in_progress": "wissen bezig",
        "not_started": "nog niet gewist",
        "not_enough": "wissen voldoet niet aan het beleid",
        "not_checked": "niet gecontroleerd",
        "other": "andere",
        "ata_enhanced_secure_erase": "ATA Enhanced Secure Erase",
        "nvme_format_user_data_erase": "NVMe Format (user data erase)",
        "nvme_format_crypto_erase": "NVMe Format (crypto erase)",
        "crypto_erase": "cryptografisch wissen",
        "shred": "versnipperen",
        "disintegrate": "desintegreren",
        "degauss": "demagnetiseren",
    },
    "en": {
        "title": "Certificate of data erasure",
        "number": "Certificate number",
        "issued": "Issued on",
        "organisation": "Performed by",
        "donor": "Donor",
        "reference": "Donation",
        "scope": "Scope",
        "scope_device": "1 device",
        "scope_batch": "{done} devices erased, {pending} still in progress",
        "statement": (
            "{organisation} declares that the data on the storage media listed"
            " below was sanitised as stated for each disk, in the terms of NIST SP"
            " 800-88 and IEEE 2883 (Clear, Purge, Destroy)."
        ),
        "devices": "Devices and disks",
        "col_disk": "Disk (model, serial)",
        "col_size": "Size, type",
        "col_method": "Level, technique",
        "col_tool": "Software",
        "col_verification": "Verification",
        "col_outcome": "Outcome",
        "col_operator": "Operator",
        "col_time": "Start, end",
        "no_disks": "no storage recorded",
        "serial": "S/N",
        "passes": "{n}x",
        "hidden": "HPA/DCO",
        "pending": "Not yet erased (not covered by this certificate)",
        "pending_reason": "Reason",
        "device": "Device",
        "verify": "Verify this certificate:",
        "signature": (
            "Digitally signed with Ed25519{key}. The signed data is attached to this"
            " PDF as {payload}, the signature as {signature}. Upload the file on the"
            " verification page or scan the QR code to check that nothing changed."
        ),
        "signature_value": "Signature",
        "key": ", key {key_id}",
        "page": "Page {page} of {{nb}}",
        "hdd": "HDD",
        "ssd": "SATA SSD",
        "nvme": "NVMe SSD",
        "emmc": "eMMC",
        "clear": "Clear",
        "purge": "Purge",
        "destroy": "Destroy",
        "overwrite": "overwrite",
        "ata_secure_erase": "ATA Secure Erase",
        "ata_sanitize_block": "ATA Sanitize (block)",
        "ata_sanitize_crypto": "ATA Sanitize (crypto)",
        "ata_sanitize_overwrite": "ATA Sanitize (overwrite)",
        "nvme_sanitize_block": "NVMe Sanitize (block)",
        "nvme_sanitize_crypto": "NVMe Sanitize (crypto)",
        "nvme_sanitize_overwrite": "NVMe Sanitize (overwrite)",
        "nvme_format": "NVMe Format",
        "physical_destruction": "physical destruction",
        "none": "none",
        "sampled": "sampled",
        "full": "full",
        "passed": "passed",
        "erased": "erased",
        "failed": "failed",
        "aborted": "aborted",
        "handled": "handled",
        "not_handled": "not handled",
        "in_progress": "erasure in progress",
        "not_started": "not yet erased",
        "not_enough": "erasure does not meet the policy",
        "not_checked": "not checked",
        "other": "other",
        "ata_enhanced_secure_erase": "ATA Enhanced Secure Erase",
        "nvme_format_user_data_erase": "NVMe Format (user data erase)",
        "nvme_format_crypto_erase": "NVMe Format (crypto erase)",
        "crypto_erase": "cryptographic erase",
        "shred": "shredding",
        "disintegrate": "disintegration",
        "degauss": "degaussing",
    },
    "fr": {
        "title": "Certificat d'effacement des données",
        "number": "Numéro du certificat",
        "issued": "Délivré le",
        "organisation": "Effectué par",
        "donor": "Donateur",
        "reference": "Don",
        "scope": "Portée",
        "scope_device": "1 appareil",
        "scope_batch": "{done} appareils effacés, {pending} encore en cours",
        "statement": (
            "{organisation} déclare que les données des supports de stockage"
            " ci-dessous ont été effacées comme indiqué pour chaque disque, selon"
            " les termes de NIST SP 800-88 et IEEE 2883 (Clear, Purge, Destroy)."
        ),
        "devices": "Appareils et disques",
        "col_disk": "Disque (modèle, n° série)",
        "col_size": "Taille, type",
        "col_method": "Niveau, technique",
        "col_tool": "Logiciel",
        "col_verification": "Vérification",
        "col_outcome": "Résultat",
        "col_operator": "Opérateur",
        "col_time": "Début, fin",
        "no_disks": "aucun stockage enregistré",
        "serial": "N/S",
        "passes": "{n}x",
        "hidden": "HPA/DCO",
        "pending": "Pas encore effacés (non couverts par ce certificat)",
        "pending_reason": "Raison",
        "device": "Appareil",
        "verify": "Vérifier ce certificat :",
        "signature": (
            "Signé numériquement avec Ed25519{key}. Les données signées sont jointes"
            " à ce PDF sous le nom {payload}, la signature sous {signature}."
            " Téléversez le fichier sur la page de vérification ou scannez le code QR"
            " pour vérifier que rien n'a été modifié."
        ),
        "signature_value": "Signature",
        "key": ", clé {key_id}",
        "page": "Page {page} sur {{nb}}",
        "hdd": "HDD",
        "ssd": "SSD SATA",
        "nvme": "SSD NVMe",
        "emmc": "eMMC",
        "clear": "Clear",
        "purge": "Purge",
        "destroy": "Destroy",
        "overwrite": "écrasement",
        "ata_secure_erase": "ATA Secure Erase",
        "ata_sanitize_block": "ATA Sanitize (block)",
        "ata_sanitize_crypto": "ATA Sanitize (crypto)",
        "ata_sanitize_overwrite": "ATA Sanitize (overwrite)",
        "nvme_sanitize_block": "NVMe Sanitize (block)",
        "nvme_sanitize_crypto": "NVMe Sanitize (crypto)",
        "nvme_sanitize_overwrite": "NVMe Sanitize (overwrite)",
        "nvme_format": "NVMe Format",
        "physical_destruction": "destruction physique",
        "none": "aucune",
        "sampled": "échantillon",
        "full": "complète",
        "passed": "réussie",
        "erased": "effacé",
        "failed": "échec",
        "aborted": "interrompu",
        "handled": "traité",
        "not_handled": "non traité",
        "in_progress": "effacement en cours",
        "not_started": "pas encore effacé",
        "not_enough": "effacement non conforme à la politique",
        "not_checked": "non vérifié",
        "other": "autre",
        "ata_enhanced_secure_erase": "ATA Enhanced Secure Erase",
        "nvme_format_user_data_erase": "NVMe Format (user data erase)",
        "nvme_format_crypto_erase": "NVMe Format (crypto erase)",
        "crypto_erase": "effacement cryptographique",
        "shred": "broyage",
        "disintegrate": "désintégration",
        "degauss": "démagnétisation",
    },
}
DEFAULT_LANGUAGE = "nl"
COLUMNS = (
    ("col_disk", 34),
    ("col_size", 18),
    ("col_method", 30),
    ("col_tool", 20),
    ("col_verification", 20),
    ("col_outcome", 16),
    ("col_operator", 20),
    ("col_time", 22),
)


def verify_url(base_url: str, number: str) -> str:
    """What the QR code holds: the public page for this certificate."""
    return f"{base_url.rstrip('/')}/verify/{number}"


class _Document(Document):
    """A4 with a footer naming the certificate on every page."""

    def __init__(self, texts: Mapping[str, str], number: str) -> None:
        self.texts, self.number = texts, number
        super().__init__(margin=15)

    def use(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def footer(self) -> None:
        self.set_y(-12)
        self.use(7)
        self.set_text_color(90)
        page = self.texts["page"].format(page=self.page_no())
        self.cell(0, 4, self.t(f"{self.number}  ·  {page}"), align="C")
        self.set_text_color(0)


def _local(value, with_time: bool = True) -> str:
    """An ISO 8601 time as Belgians read it (Brussels time), or the text as given."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(ZoneInfo(TIMEZONE))
        except ZoneInfoNotFoundError:
            pass  # no tz database: shown as given
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def _word(texts: Mapping[str, str], code) -> str:
    if code is None or code == "":
        return ""
    return texts.get(str(code), str(code).replace("_", " "))


def _lines(*parts) -> str:
    return "\n".join(str(p) for p in parts if p not in (None, ""))


def _disk_row(texts: Mapping[str, str], disk: Mapping) -> list[str]:
    size = f"{disk['size_gb']} GB" if disk.get("size_gb") not in (None, "") else ""
    passes = disk.get("passes")
    technique = _word(texts, disk.get("technique"))
    if passes:
        technique = f"{technique} {texts['passes'].format(n=passes)}".strip()
    hidden = disk.get("hidden_areas")
    verification = _word(texts, disk.get("verification"))
    if disk.get("verification_result"):
        result = _word(texts, disk["verification_result"])
        verification = f"{verification}: {result}"
    tool = " ".join(str(p) for p in (disk.get("tool"), disk.get("tool_version")) if p)
    return [
        _lines(disk.get("model"), f"{texts['serial']} {disk.get('serial') or '?'}"),
        _lines(size, _word(texts, disk.get("media")), disk.get("interface")),
        _lines(
            _word(texts, disk.get("method")),
            technique,
            hidden and f"{texts['hidden']}: {_word(texts, hidden)}",
        ),
        tool,
        verification,
        _word(texts, disk.get("outcome")),
        disk.get("operator") or "",
        _span(disk.get("started_at"), disk.get("finished_at")),
    ]


def _span(started, finished) -> str:
    """Start and end; the end's date only when it differs (an overnight wipe)."""
    start, end = _local(started), _local(finished)
    if start and end and start[:10] == end[:10]:
        end = end[11:]
    return f"{start}\n– {end}" if end else start


def _device_line(texts: Mapping[str, str], device: Mapping) -> str:
    what = " ".join(str(p) for p in (device.get("make"), device.get("model")) if p)
    serial = device.get("serial") and f"{texts['serial']} {device['serial']}"
    return "  ·  ".join(str(p) for p in (device.get("tag"), what, serial) if p)


def _header(pdf: _Document, texts: Mapping[str, str], cert: Mapping) -> None:
    url = cert.get("verify_url") or ""
    top = pdf.get_y()
    text_width = pdf.epw - QR_SIDE_MM - 5
    if url:
        draw_qr(pdf, url, pdf.l_margin + pdf.epw - QR_SIDE_MM, top, QR_SIDE_MM)
        pdf.set_xy(pdf.l_margin + pdf.epw - QR_SIDE_MM - 10, top + QR_SIDE_MM)
        pdf.use(6)
        pdf.multi_cell(
            QR_SIDE_MM + 10, 3, pdf.t(f"{texts['verify']}\n{url}"), align="C"
        )
    pdf.set_xy(pdf.l_margin, top)
    pdf.use(16, bold=True)
    pdf.multi_cell(
        text_width, 8, pdf.t(texts["title"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.use(12, bold=True)
    pdf.cell(text_width, 7, pdf.t(cert.get("number", "")))
    pdf.ln(10)
    organisation = cert.get("organisation") or {}
    donor = cert.get("donor") or {}
    devices, pending = cert.get("devices") or [], cert.get("pending") or []
    if cert.get("scope") == "batch":
        scope = texts["scope_batch"].format(done=len(devices), pending=len(pending))
    else:
        scope = texts["scope_device"]
    rows = [
        (texts["issued"], _local(cert.get("issued_at"), with_time=False)),
        (
            texts["organisation"],
            _lines(
                organisation.get("name"),
                organisation.get("address"),
                organisation.get("contact"),
            ),
        ),
        (texts["donor"], donor.get("name")),
        (texts["reference"], donor.get("reference")),
        (texts["scope"], scope),
    ]
    for label, value in rows:
        if not value:
            continue
        pdf.use(9, bold=True)
        pdf.cell(38, 5, pdf.t(label))
        pdf.use(9)
        pdf.multi_cell(text_width - 38, 5, pdf.t(value), new_x=XPos.LMARGIN)
    pdf.set_y(max(pdf.get_y(), top + QR_SIDE_MM + 10) + 3)
    pdf.use(9)
    statement = texts["statement"].format(organisation=organisation.get("name", ""))
    pdf.multi_cell(0, 4.5, pdf.t(statement), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)


def _devices(pdf: _Document, texts: Mapping[str, str], devices: list) -> None:
    pdf.use(11, bold=True)
    pdf.cell(0, 7, pdf.t(texts["devices"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.use(6.5)
    heading = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
    device_style = FontFace(emphasis="BOLD", fill_color=(242, 242, 242))
    with pdf.table(
        col_widths=[width for _, width in COLUMNS],
        headings_style=heading,
        line_height=3.2,
        text_align="LEFT",
        v_align="TOP",
        padding=0.8,
        repeat_headings=1,
    ) as table:
        row = table.row()
        for key, _ in COLUMNS:
            row.cell(pdf.t(texts[key]))
        for device in devices:
            table.row().cell(
                pdf.t(_device_line(texts, device)),
                colspan=len(COLUMNS),
                style=device_style,
            )
            disks = device.get("disks") or []
            if not disks:
                table.row().cell(pdf.t(texts["no_disks"]), colspan=len(COLUMNS))
            for disk in disks:
                row = table.row()
                for value in _disk_row(texts, disk):
                    row.cell(pdf.t(value))


def _pending(pdf: _Document, texts: Mapping[str, str], pending: list) -> None:
    pdf.ln(4)
    pdf.use(11, bold=True)
    pdf.multi_cell(0, 7, pdf.t(texts["pending"]), new_x=XPos.LMARGIN)
    pdf.use(7)
    heading = FontFace(emphasis="BOLD", fill_color=(225, 225, 225))
    with pdf.table(
        col_widths=[120, 60],
        headings_style=heading,
        line_height=3.6,
        text_align="LEFT",
        padding=0.8,
    ) as table:
        row = table.row()
        row.cell(pdf.t(texts["device"]))
        row.cell(pdf.t(texts["pending_reason"]))
        for device in pending:
            row = table.row()
            row.cell(pdf.t(_device_line(texts, device)))
            row.cell(pdf.t(_word(texts, device.get("reason"))))


def _signature_note(pdf: _Document, texts, cert: Mapping, signature: str) -> None:
    pdf.ln(5)
    key = texts["key"].format(key_id=cert["key_id"]) if cert.get("key_id") else ""
    note = texts["signature"].format(
        key=key, payload=PAYLOAD_NAME, signature=SIGNATURE_NAME
    )
    pdf.use(7)
    pdf.multi_cell(0, 3.5, pdf.t(note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.multi_cell(
        0,
        3.5,
        pdf.t(f"{texts['signature_value']}: {signature}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )


def render_certificate(cert: dict, key: Ed25519PrivateKey) -> bytes:
    """Sign `cert` with `key` and lay it out as a PDF carrying both.

    Ed25519 is deterministic: ``signing.sign(cert, key)`` gives the signature
    embedded here, so a caller can store it without reading the PDF back.
    """
    signed = sign(cert, key)
    shown = json.loads(signed.payload_json)  # the pages show what was signed
    language = shown.get("language") if shown.get("language") in TEXTS else None
    texts = TEXTS[language or DEFAULT_LANGUAGE]
    number = str(shown.get("number", ""))
    pdf = _Document(texts, number)
    pdf.set_title(f"{texts['title']} {number}")
    pdf.set_author((shown.get("organisation") or {}).get("name", ""))
    pdf.set_subject(number)
    pdf.set_lang(language or DEFAULT_LANGUAGE)
    issued = _parse_time(shown.get("issued_at"))
    if issued:
        pdf.set_creation_date(issued)  # same certificate, same bytes
    pdf.add_page()
    _header(pdf, texts, shown)
    _devices(pdf, texts, shown.get("devices") or [])
    if shown.get("pending"):
        _pending(pdf, texts, shown["pending"])
    _signature_note(pdf, texts, shown, signed.signature_b64)
    pdf.embed_file(
        bytes=signed.payload_json.encode("utf-8"),
        basename=PAYLOAD_NAME,
        mime_type="application/json",
        desc="Signed certificate data",
        modification_date=issued,
    )
    pdf.embed_file(
        bytes=signed.signature_b64.encode("ascii"),
        basename=SIGNATURE_NAME,
        mime_type="text/plain",
        desc=f"Ed25519 signature (base64) of {PAYLOAD_NAME}",
        modification_date=issued,
    )
    return bytes(pdf.output())


def _parse_time(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def extract(pdf_bytes: bytes) -> tuple[str, str] | None:
    """The signed JSON and signature attached to an uploaded certificate PDF.

    None when the upload is not a PDF, is damaged, or lacks either attachment:
    the /verify page says "not one of our certificates" then. Whether the two
    belong together is for ``signing.verify`` to say.
    """
    from pypdf import PdfReader  # only /verify needs it

    if not isinstance(pdf_bytes, bytes | bytearray) or not pdf_bytes:
        return None
    try:
        attachments = PdfReader(io.BytesIO(pdf_bytes)).attachments
        payloads = attachments.get(PAYLOAD_NAME) or []
        signatures = attachments.get(SIGNATURE_NAME) or []
        if len(payloads) != 1 or len(signatures) != 1:
            return None
        payload, signature = payloads[0], signatures[0]
        if len(payload) > MAX_PAYLOAD_BYTES or len(signature) > 1024:
            return None
        return payload.decode("utf-8"), signature.decode("ascii").strip()
    except Exception:  # noqa: BLE001 - hostile uploads break parsers in many ways
        return None
