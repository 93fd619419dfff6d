"""The agent enrolment sheet: one printed page row per device, code and QR code.

Printed with a batch's label sheet and kept at the bench: the technician types
(or reads from the QR code with a phone) the command on each device. The codes
exist in plain text only in this PDF, which is rendered in the request and
never stored; the service keeps their hashes.
"""

from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from fpdf.enums import XPos
from fpdf.enums import YPos

from assettrack.agents.server import enrolment
from assettrack.devices import device_or_404
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import User
from assettrack.pdf import Document
from assettrack.pdf import draw_qr
from assettrack.problems import Refusal
from assettrack.reach import devices_within

SHEET_DAYS = 30  # printed with the labels, used over the weeks of a batch
QR_MM = 24.0
ROW_MM = QR_MM + 4

TEXTS: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Agent inschrijven",
        "intro": "Typ op elk toestel, met de agent geïnstalleerd, het commando"
        " naast zijn label. Elke code werkt één keer, tot {until}.",
        "code": "Code",
    },
    "en": {
        "title": "Enrol the agent",
        "intro": "On each device, with the agent installed, type the command next"
        " to its tag. Each code works once, until {until}.",
        "code": "Code",
    },
    "fr": {
        "title": "Inscrire l'agent",
        "intro": "Sur chaque appareil, avec l'agent installé, tapez la commande à"
        " côté de son étiquette. Chaque code fonctionne une fois, jusqu'au {until}.",
        "code": "Code",
    },
}


def command(server: str, tag: str, code: str) -> str:
    return f"assettrack-agent enroll --server {server} --tag {tag} --code {code}"


def render(
    rows: Sequence[Mapping], server: str, until: datetime, language: str = "nl"
) -> bytes:
    """`rows`: each a device's `tag`, `what` (make and model) and `code`."""
    texts = TEXTS.get(language, TEXTS["nl"])
    pdf = Document(margin=15)
    pdf.set_title(texts["title"])
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 16)
    pdf.cell(0, 10, pdf.t(texts["title"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "", 10)
    intro = texts["intro"].format(until=until.date().isoformat())
    pdf.multi_cell(0, 5, pdf.t(intro), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    text_x = pdf.l_margin + QR_MM + 5
    for row in rows:
        if pdf.get_y() + ROW_MM > pdf.h - pdf.b_margin:
            pdf.add_page()
        top = pdf.get_y()
        line = command(server, row["tag"], row["code"])
        draw_qr(pdf, line, pdf.l_margin, top, QR_MM)
        pdf.set_xy(text_x, top + 2)
        pdf.set_font(pdf.family, "B", 13)
        pdf.cell(0, 7, pdf.t(f"{row['tag']}   {texts['code']}: {row['code']}"))
        pdf.set_xy(text_x, top + 9)
        pdf.set_font(pdf.family, "", 9)
        pdf.cell(0, 5, pdf.t(row.get("what", "")))
        pdf.set_xy(text_x, top + 15)
        pdf.set_font("Courier", "", 8)
        pdf.multi_cell(0, 4, pdf.t(line))
        pdf.set_font(pdf.family, "", 10)
        pdf.set_y(top + ROW_MM)
    return bytes(pdf.output())


def for_devices(
    devices: list[Device], user: User, server: str, days: int, language: str
) -> bytes:
    """New codes for `devices` (their older unused ones stop), as a printed sheet."""
    issued = enrolment.issue_codes(devices, user, days)
    rows = [
        {"tag": d.asset_tag, "what": f"{d.make} {d.model}".strip(), "code": code}
        for d, (code, _until) in zip(devices, issued, strict=True)
    ]
    return render(rows, server, issued[0][1], language)


def devices_of(data: dict, user: User) -> list[Device]:
    """The devices a sheet request names that `user` reaches: a batch's, or tags
    (404 when unknown, 403 when in another organisation's care)."""
    if "donation" not in data:
        return [device_or_404(tag, user) for tag in data["tags"]]
    devices = db.session.scalars(
        sa.select(Device)
        .where(Device.donation_id == data["donation"], devices_within(user))
        .order_by(Device.id)
    ).all()
    if not devices:
        raise Refusal("donation", "no such batch, or no device in it yet")
    return list(devices)
