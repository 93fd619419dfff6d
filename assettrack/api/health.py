"""Liveness and readiness, for load balancers and the desk's status light."""

import sqlalchemy as sa
from flask import current_app

from assettrack import jobs
from assettrack.api import bp
from assettrack.extensions import db


@bp.get("/health")
def health():
    """Say whether the database and the job queue answer; no token needed."""
    checks = {"database": "ok", "queue": jobs.queue_status(current_app)}
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        checks["database"] = "unreachable"
    ready = checks["database"] == "ok" and checks["queue"] != "unreachable"
    return {
        "status": "ok" if ready else "degraded",
        "checks": checks,
    }, 200 if ready else 503
