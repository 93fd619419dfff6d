"""Labels: one device's PNG, sheets of many as a background job, and the jobs."""

from flask import Response
from flask import redirect
from flask import request
from flask import url_for

from assettrack import labelling
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.devices import device_or_404
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import BackgroundJob
from assettrack.schemas.labels import JobSchema
from assettrack.schemas.labels import LabelQuery
from assettrack.schemas.labels import LabelSheetSchema
from assettrack.tagging import canonical_tag

job_schema = JobSchema()


@bp.get("/devices/<tag>/label.png")
@requires()
@query(LabelQuery())
def device_label(tag, args):
    """The device's label as a 300 dpi PNG for a roll label printer."""
    png = labelling.device_label(device_or_404(tag, current_user()), args["layout"])
    return Response(png, mimetype="image/png")


@bp.post("/labels/sheets")
@requires("coordinator", "repair")
@body(LabelSheetSchema())
@responds(job_schema, 202)
def label_sheet(data):
    """Start an A4 PDF of many labels (tags, a donation or a reserved roll)."""
    return labelling.request_sheet(data, current_user())


def _job(job_id: str) -> BackgroundJob:
    job = db.session.get(BackgroundJob, job_id[:36])
    user = current_user()
    if job is None or (
        job.requested_by_id != user.id and user.role not in ("admin", "coordinator")
    ):
        raise ApiError(404, f"no job {job_id[:36]}")
    return job


@bp.get("/jobs/<job_id>")
@requires()
@responds(job_schema)
def get_job(job_id):
    """A background job's state and progress; `result` once it is finished."""
    return _job(job_id)


@bp.get("/jobs/<job_id>/result")
@requires()
def job_result(job_id):
    job = _job(job_id)
    if job.status != "finished":
        raise ApiError(409, f"the job is {job.status}, not finished", code="conflict")
    return Response(job.result, mimetype=job.result_type)


def short_link(tag: str):
    """Where a label's QR code points (`/t/DB000123K`): the device, by its tag.

    A browser (a phone that scanned the label) goes to the device's page,
    logging in first if need be; an API client to the device's JSON.
    """
    wants_page = (
        request.accept_mimetypes.best_match(("application/json", "text/html"))
        == "text/html"
    )
    try:
        canonical = canonical_tag(tag)
    except ValueError:
        if wants_page:  # the start page says what is wrong, in their language
            return redirect(url_for("pages.home", tag=tag))
        raise ApiError(404, "not an asset tag") from None
    if wants_page:
        return redirect(url_for("pages.device", tag=canonical))
    return redirect(url_for("api.get_device", tag=canonical))
