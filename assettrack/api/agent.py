"""The device agent's endpoints (API.md, "Device agent"), and issuing its codes."""

from flask import Response
from flask import current_app
from flask import request
from werkzeug.exceptions import TooManyRequests

from assettrack.agents.server import enrolment
from assettrack.agents.server import ingest
from assettrack.agents.server import repair_queue
from assettrack.agents.server import sheet
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import found
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import reachable_device
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.devices import device_or_404
from assettrack.extensions import db
from assettrack.ratelimit import rate_limited
from assettrack.ratelimit import wait_for
from assettrack.schemas.agent import EnrolledSchema
from assettrack.schemas.agent import EnrollmentCodeRequestSchema
from assettrack.schemas.agent import EnrollmentCodeSchema
from assettrack.schemas.agent import EnrollmentSheetSchema
from assettrack.schemas.agent import EnrollSchema
from assettrack.schemas.agent import RepairQueueItemSchema
from assettrack.schemas.agent import RepairQueueQuery
from assettrack.schemas.agent import ReportAnswerSchema
from assettrack.schemas.agent import ReportSchema
from assettrack.schemas.agent import RevokedSchema
from assettrack.schemas.common import page_of

MAX_REPORT_BYTES = 256 * 1024  # research/agents.md (f): a report is under 10 KB


@bp.post("/devices/<tag>/enrollment-codes")
@requires("repair", "coordinator")
@found("tag", reachable_device, into="device")
@body(EnrollmentCodeRequestSchema(), optional=True)
@responds(EnrollmentCodeSchema(), 201)
def issue_enrollment_code(device, data):
    """A one-time code (7 days) for the agent on this device; older ones stop."""
    code, expires_at = enrolment.issue_code(
        device, current_user(), data.get("valid_days")
    )
    server = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return {
        "asset_tag": device.asset_tag,
        "code": code,
        "expires_at": expires_at,
        "command": sheet.command(server, device.asset_tag, code),
    }


@bp.post("/agent/enrollment-sheets")
@requires("repair", "coordinator")
@body(EnrollmentSheetSchema())
def enrollment_sheet(data):
    """A PDF with a new enrolment code and its QR code per device of a batch.

    Rendered now and never stored: the codes exist in plain text only in it.
    """
    devices = sheet.devices_of(data, current_user())
    server = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    pdf = sheet.for_devices(
        devices, current_user(), server, data["valid_days"], data["language"]
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="agent-codes.pdf"'},
    )


@bp.delete("/devices/<tag>/agent")
@requires("repair", "coordinator")
@responds(RevokedSchema())
def revoke_agent(tag):
    """Stop the device's agent: its token answers 401 device_revoked from now."""
    revoked = enrolment.revoke_tokens(device_or_404(tag, current_user()))
    db.session.commit()
    return {"revoked": revoked}


@bp.post("/agent/enroll")
@rate_limited("agent-enroll", "AGENT_ENROLL_RATE_LIMIT")
@body(EnrollSchema())
@responds(EnrolledSchema(), 201)
def enroll(data):
    """Trade an enrolment code for the device's own token (shown only now)."""
    device, token = enrolment.enroll(data["asset_tag"], data["enrollment_code"])
    return {
        "asset_tag": device.asset_tag,
        "device_token": token,
        "report_interval_s": current_app.config["AGENT_REPORT_INTERVAL_S"],
    }


@bp.post("/agent/reports")
def take_report():
    """One health report; a report id already stored answers 200, storing nothing."""
    reporter = enrolment.reporting_device(request.headers.get("Authorization", ""))
    request.max_content_length = MAX_REPORT_BYTES
    wait = wait_for("agent-reports", str(reporter.device_id), "AGENT_REPORT_RATE_LIMIT")
    if wait:
        raise TooManyRequests(
            "this device reports too often; try again later",
            retry_after=max(1, int(wait + 0.999)),
        )
    return _store(reporter=reporter)


@body(ReportSchema(), keep_raw=True)
def _store(reporter, data, raw):
    answer, new = ingest.take_in(reporter, data, raw)
    return ReportAnswerSchema().dump(answer), 201 if new else 200


# What the view reads and answers, for /api/v1/openapi.json (201 new, 200 again).
take_report.openapi = {
    **_store.openapi,
    "response": ReportAnswerSchema(),
    "status": 201,
}
take_report.required_roles = ()  # a device token


@bp.get("/repair-queue")
@requires("repair", "coordinator")
@query(RepairQueueQuery())
@responds(page_of(RepairQueueItemSchema)())
def repair_queue_page(args):
    """Devices to repair, most urgent first, each with the findings behind its rank.

    A repair partner sees its own places' devices; `category` picks quick wins,
    repairs, parts donors or healthy devices.
    """
    select = repair_queue.queue(current_user(), args.pop("category", None))
    return paginate(select, **args)
