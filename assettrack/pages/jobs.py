"""Background work a person started from a page (a label sheet, later certificates).

The page reloads itself until the job is done, then offers the file.
"""

from flask import Response
from flask import abort
from flask import render_template
from flask_login import login_required

from assettrack.extensions import db
from assettrack.models import BackgroundJob
from assettrack.pages import bp
from assettrack.pages.auth import me

SEES_EVERY_JOB = ("admin", "coordinator")


def _job_or_404(job_id: str) -> BackgroundJob:
    """The job, if this person started it (coordinators see all)."""
    job = db.session.get(BackgroundJob, job_id[:36])
    user = me()
    if job is None or (
        job.requested_by_id != user.id and user.role not in SEES_EVERY_JOB
    ):
        abort(404)
    return job


@bp.get("/jobs/<job_id>")
@login_required
def job(job_id: str):
    return render_template("jobs/show.html", job=_job_or_404(job_id))


@bp.get("/jobs/<job_id>/file")
@login_required
def job_file(job_id: str):
    job = _job_or_404(job_id)
    if job.status != "finished":
        abort(404)
    extension = {
        "application/pdf": "pdf",
        "application/zip": "zip",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    }.get(job.result_type, "bin")
    filename = f"{job.kind}-{job.id[:8]}.{extension}"
    return Response(
        job.result,
        mimetype=job.result_type,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )
