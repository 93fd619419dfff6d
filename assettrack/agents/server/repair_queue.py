"""The repair queue: every reporting device ranked by what its latest report shows.

`score_device` is the background job a new report queues (inline without
Redis): it ranks the device from its latest report by sequence number, so a
report that arrives late (an agent that was offline) never overwrites a newer
one. `queue` lists the ranks a person may see, most urgent first.
"""

import sqlalchemy as sa

from assettrack.agents import ranking
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import HealthReport
from assettrack.models import Location
from assettrack.models import RepairRank
from assettrack.models import User
from assettrack.models.types import utcnow

# Devices past repair work: a lent or scrapped device is not on a workbench.
OFF_THE_BENCH = ("lent", "scrapped", "lost")
SEES_ALL = ("admin", "coordinator")


def latest_report(device_id: int) -> HealthReport | None:
    return db.session.scalar(
        sa.select(HealthReport)
        .where(HealthReport.device_id == device_id)
        .order_by(sa.func.coalesce(HealthReport.seq, 0).desc(), HealthReport.id.desc())
        .limit(1)
    )


def score_device(device_id: int) -> dict:
    """Rank the device from its latest report; the job a new report queues."""
    report = latest_report(device_id)
    if report is None:
        return {"device_id": device_id, "ranked": False}
    rank = ranking.rank(report.findings)
    row = db.session.get(RepairRank, device_id) or RepairRank(device_id=device_id)
    row.report_id = report.id
    row.priority, row.health_score = rank.priority, rank.health_score
    row.category, row.reasons = rank.category, list(rank.reasons)
    row.rules_version, row.computed_at = report.rules_version, utcnow()
    db.session.add(row)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # two jobs for one device at once: the other won
        db.session.rollback()
    return {"device_id": device_id, "ranked": True, "category": rank.category}


def queue(user: User, category: str | None = None) -> sa.Select:
    """The ranks of the devices `user` may work on, most urgent first.

    Most urgent as `ranking.queue_key` has it: P0 first (nothing found last),
    then the lowest health score, then quick wins first. A repair partner sees
    the devices at its own organisation's places; coordinators and admins all.
    """
    select = (
        sa.select(RepairRank)
        .join(Device, Device.id == RepairRank.device_id)
        .where(Device.state.not_in(OFF_THE_BENCH))
        .order_by(
            sa.func.coalesce(RepairRank.priority, ranking.NOTHING),
            RepairRank.health_score,
            sa.case(ranking.CATEGORY_ORDER, value=RepairRank.category, else_=9),
            RepairRank.device_id,
        )
    )
    if user.role not in SEES_ALL:
        own = sa.select(Location.id).where(
            Location.organisation_id == user.organisation_id
        )
        select = select.where(Device.location_id.in_(own))
    if category:
        select = select.where(RepairRank.category == category)
    return select
