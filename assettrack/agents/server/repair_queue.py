"""The repair queue: every reporting device ranked by what its latest report shows.

Ranking is a background job (inline without Redis). A new report only marks its
device as waiting to be ranked; one queued job ranks every waiting device, so a
burst of reports costs one job, not one each. A device is ranked from its
latest report by sequence number: a report that arrives late (an agent that was
offline) never overrides a newer one. `queue` lists the ranks a person may see,
most urgent first.
"""

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from assettrack import jobs
from assettrack import reach
from assettrack.agents import ranking
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import HealthReport
from assettrack.models import RepairRank
from assettrack.models import User
from assettrack.models.types import utcnow

# Devices past repair work: a lent or scrapped device is not on a workbench.
OFF_THE_BENCH = ("lent", "scrapped", "lost")
BATCH = 500


def _keys() -> tuple[str, str]:
    """Redis keys of the waiting devices and of "a ranking job is queued"."""
    name = current_app.config["RQ_QUEUE"]
    return f"{name}:rank:waiting", f"{name}:rank:queued"


def rank_now(report: HealthReport) -> None:
    """Rank the device from the report in hand, in the caller's transaction,
    unless its rank already comes from a later report (by `seq`)."""
    _upsert([_rank_row(report.device_id, report.id, report)], newer=report.seq)


def rank_later(device_id: int) -> None:
    """Mark the device as waiting; queue the ranking job unless one is queued."""
    rq_queue = jobs.queue()
    waiting, queued = _keys()
    pipe = rq_queue.connection.pipeline()
    pipe.sadd(waiting, device_id)
    pipe.set(queued, 1, nx=True, ex=3600)
    _, first = pipe.execute()
    if first:  # no job queued yet: this one will rank every device waiting by then
        rq_queue.enqueue(rank_waiting)


def rank_waiting() -> dict:
    """The job: rank every device waiting, in batches, until none waits."""
    connection = jobs.queue().connection
    waiting, queued = _keys()
    connection.delete(queued)  # reports from now on queue another job
    ranked = 0
    while ids := connection.spop(waiting, BATCH):
        ranked += rank_devices(sorted(int(i) for i in ids))
    return {"ranked": ranked}


def rank_devices(device_ids: list[int]) -> int:
    """Rank each device from its latest report (by `seq`), in one commit."""
    latest = (
        sa.select(
            HealthReport.device_id,
            HealthReport.id,
            HealthReport.findings,
            HealthReport.rules_version,
            sa.func.row_number()
            .over(
                partition_by=HealthReport.device_id,
                order_by=(HealthReport.seq.desc(), HealthReport.id.desc()),
            )
            .label("newest"),
        )
        .where(HealthReport.device_id.in_(device_ids))
        .subquery()
    )
    rows = db.session.execute(sa.select(latest).where(latest.c.newest == 1)).all()
    if rows:
        _upsert([_rank_row(row.device_id, row.id, row) for row in rows])
    db.session.commit()
    return len(rows)


def _rank_row(device_id: int, report_id: int, report) -> dict:
    rank = ranking.rank(report.findings)
    return {
        "device_id": device_id,
        "report_id": report_id,
        "priority": rank.priority,
        "health_score": rank.health_score,
        "category": rank.category,
        "reasons": list(rank.reasons),
        "rules_version": report.rules_version,
        "computed_at": utcnow(),
    }


def _upsert(values: list[dict], newer: int | None = None) -> None:
    """Insert or replace ranks; with `newer`, keep one from a later report."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    insert = dialect.insert(RepairRank).values(values)
    excluded = insert.excluded
    changed = {key: excluded[key] for key in values[0] if key != "device_id"}
    where = None
    if newer is not None:
        # The report the row being replaced was ranked from (the conflict's
        # target row: named as such, since an upsert has no FROM to correlate).
        ranked_from = (
            sa.select(HealthReport.seq)
            .where(HealthReport.id == sa.literal_column("repair_ranks.report_id"))
            .scalar_subquery()
        )
        where = ranked_from <= newer
    db.session.execute(
        insert.on_conflict_do_update(
            index_elements=["device_id"], set_=changed, where=where
        )
    )


def latest_report(device_id: int) -> HealthReport | None:
    return db.session.scalar(
        sa.select(HealthReport)
        .where(HealthReport.device_id == device_id)
        .order_by(HealthReport.seq.desc(), HealthReport.id.desc())
        .limit(1)
    )


def queue(user: User, category: str | None = None) -> sa.Select:
    """The ranks of the devices `user` may work on, most urgent first.

    Most urgent as `ranking.queue_key` has it: P0 first (nothing found last),
    then the lowest health score, then quick wins first. A repair partner sees
    the devices in its care (reach.py); coordinators and admins all.
    """
    select = (
        sa.select(RepairRank)
        .join(Device, Device.id == RepairRank.device_id)
        .where(Device.state.not_in(OFF_THE_BENCH), reach.devices_within(user))
        .order_by(
            sa.func.coalesce(RepairRank.priority, ranking.NOTHING),
            RepairRank.health_score,
            sa.case(ranking.CATEGORY_ORDER, value=RepairRank.category, else_=9),
            RepairRank.device_id,
        )
    )
    if category:
        select = select.where(RepairRank.category == category)
    return select
