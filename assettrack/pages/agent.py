"""The device agent on a device's page: its latest health report, and enrolling it.

A repair partner gets a one-time code for the device here and types the
command it shows on the device; the code is shown once (only its hash is kept).
"""

from dataclasses import dataclass

from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _

from assettrack.agents.server import enrolment
from assettrack.agents.server import repair_queue
from assettrack.agents.server import sheet
from assettrack.extensions import db
from assettrack.i18n import current_language
from assettrack.models import Device
from assettrack.models import HealthReport
from assettrack.models import RepairRank
from assettrack.pages import bp
from assettrack.pages import findings
from assettrack.pages.auth import may
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.devices import device_or_404
from assettrack.problems import Refusal

BENCH = ("repair", "coordinator")


@dataclass(frozen=True)
class HealthPanel:
    report: HealthReport | None
    rank: RepairRank | None
    words: object = findings


@bp.app_template_global()
def health_panel(device: Device) -> HealthPanel | None:
    """The health section of a device's page; None for who does not repair."""
    if not may(*BENCH):
        return None
    return HealthPanel(
        repair_queue.latest_report(device.id), db.session.get(RepairRank, device.id)
    )


@bp.post("/devices/<tag>/agent-code")
@role_required(*BENCH)
def agent_code(tag: str):
    """A new enrolment code, shown once, with the command to type on the device."""
    device = device_or_404(tag)
    code, expires_at = enrolment.issue_code(device, me())
    server = request.host_url.rstrip("/")
    return render_template(
        "devices/agent_code.html",
        device=device,
        code=code,
        expires_at=expires_at,
        command=sheet.command(server, device.asset_tag, code),
    )


@bp.post("/devices/<tag>/agent-revoke")
@role_required(*BENCH)
def agent_revoke(tag: str):
    device = device_or_404(tag)
    revoked = enrolment.revoke_tokens(device)
    db.session.commit()
    if revoked:
        flash(_("The agent on this device can no longer report."), "ok")
    else:
        flash(_("This device has no agent to stop."), "warning")
    return redirect(url_for("pages.device", tag=device.asset_tag))


@bp.post("/donations/<int:donation_id>/agent-sheet")
@role_required(*BENCH)
def agent_sheet(donation_id: int):
    """New enrolment codes for the batch's devices, printed one row each."""
    try:
        devices = sheet.devices_of({"donation": donation_id}, me())
    except Refusal:
        abort(404)
    pdf = sheet.for_devices(
        devices,
        me(),
        request.host_url.rstrip("/"),
        sheet.SHEET_DAYS,
        current_language(),
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="agent-codes.pdf"'},
    )
