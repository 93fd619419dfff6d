"""How long raw health reports are kept: they pile up (one an hour per device).

A report older than the retention period goes, except each device's latest and
the one its rank comes from: the repair queue and the next report's component
check still have what they read. Run daily (`flask agent prune`).
"""

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from assettrack.extensions import db
from assettrack.models import HealthReport
from assettrack.models import RepairRank


def prune(today: date | None = None) -> dict:
    """Delete reports past the retention period; how many."""
    days = current_app.config["AGENT_REPORT_DAYS"]
    cutoff = datetime.combine((today or date.today()) - timedelta(days=days), time())
    latest = sa.select(sa.func.max(HealthReport.id)).group_by(HealthReport.device_id)
    ranked = sa.select(RepairRank.report_id)
    deleted = db.session.execute(
        sa.delete(HealthReport).where(
            HealthReport.received_at < cutoff.replace(tzinfo=UTC),
            HealthReport.id.not_in(latest),
            HealthReport.id.not_in(ranked),
        )
    ).rowcount
    db.session.commit()
    return {"deleted": deleted, "kept_days": days}


def scheduled(today: str | None = None) -> dict:
    """The daily job (rq, or inline without Redis)."""
    return prune(date.fromisoformat(today) if today else None)
