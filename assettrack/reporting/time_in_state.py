"""How long devices stay in each state, from the events alone.

A stay in a state begins with the event that brought the device into it and
ends with the next event that takes it out (its `from_state` is the state, its
`to_state` another). Events that leave the state as it was (renew, transfer,
receive, relocate) neither begin nor end a stay: a ready device sent to another
digileenplek is still ready. A stay counts for the period it ended in; the
stays still open are those of the devices in that state now, counted so far.
Scrapped and lost are ends, not stays: they have no open stays.
"""

import statistics
from collections import defaultdict
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import WorkflowEvent
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow
from assettrack.reporting.period import Period
from assettrack.workflow.states import State

STATES = tuple(state.value for state in State)
ENDS = ("scrapped", "lost")


def _changes_state():
    """The events that begin a stay: taken in, or moved to another state."""
    return sa.or_(
        WorkflowEvent.from_state.is_(None),
        WorkflowEvent.from_state != WorkflowEvent.to_state,
    )


def _days(seconds: float) -> float:
    return round(seconds / 86400, 2)


def _p90(values: list[float]) -> float:
    """The 90th percentile, interpolated between the nearest two (as numpy's)."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


def _stays(period: Period):
    """The stays that ended in `period`: (state, began, ended), as a subquery.

    Only the devices with a stay ending in the period are read, and only their
    state changes up to its end; each stay's beginning is the previous state
    change of the same device (LAG over the device's events in id order, read
    from the (device_id, id) index that carries the columns it needs).
    """
    start, end = period.bounds()
    ending = sa.select(WorkflowEvent.device_id).where(
        WorkflowEvent.at >= start,
        WorkflowEvent.at < end,
        WorkflowEvent.from_state.is_not(None),
        WorkflowEvent.from_state != WorkflowEvent.to_state,
    )
    changes = (
        sa.select(
            WorkflowEvent.from_state.label("state"),
            WorkflowEvent.at.label("ended"),
            sa.func.lag(WorkflowEvent.at, type_=UtcDateTime)
            .over(partition_by=WorkflowEvent.device_id, order_by=WorkflowEvent.id)
            .label("began"),
        )
        .where(
            WorkflowEvent.device_id.in_(ending),
            WorkflowEvent.at < end,
            _changes_state(),
        )
        .subquery()
    )
    return (
        sa.select(changes.c.state, changes.c.began, changes.c.ended)
        .where(
            changes.c.ended >= start,
            changes.c.state.is_not(None),
            changes.c.began.is_not(None),
        )
        .subquery()
    )


def ended_stays(period: Period) -> dict[str, list[float]]:
    """{state: [seconds]} of the stays that ended in `period`."""
    stays: dict[str, list[float]] = defaultdict(list)
    found = _stays(period)
    for state, began, ended in db.session.execute(sa.select(found)):
        stays[state].append((ended - began).total_seconds())
    return stays


def _summary(seconds: list[float]) -> tuple[int, float, float, float]:
    return (
        len(seconds),
        statistics.median(seconds),
        statistics.fmean(seconds),
        _p90(seconds),
    )


def _summed_in_postgresql(period: Period) -> dict[str, tuple]:
    """{state: (stays, median, mean, p90 seconds)}, worked out by PostgreSQL.

    A year can hold hundreds of thousands of stays: only ten rows come back.
    percentile_cont interpolates as `statistics` does (median, inclusive p90).
    """
    # The stays are sorted twice (per state, then within it): in memory, not
    # on disk, for this statement's transaction only.
    db.session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
    found = _stays(period)
    seconds = sa.extract("epoch", found.c.ended - found.c.began)
    rows = db.session.execute(
        sa.select(
            found.c.state,
            sa.func.count(),
            sa.func.avg(seconds),
            # Both in one sort of the stays.
            sa.func.percentile_cont(postgresql.array([0.5, 0.9]))
            .within_group(seconds)
            .label("percentiles"),
        ).group_by(found.c.state)
    )
    return {
        state: (count, float(median), float(mean), float(p90))
        for state, count, mean, (median, p90) in rows
    }


def ended_summary(period: Period) -> dict[str, tuple]:
    """{state: (stays, median, mean, p90 seconds)} of the stays ended in `period`."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _summed_in_postgresql(period)
    return {state: _summary(found) for state, found in ended_stays(period).items()}


def open_stays(now: datetime | None = None) -> dict[str, list[float]]:
    """{state: [seconds so far]} of the devices in each state now (not ended).

    Each device's last state change is looked up through the (device_id, id)
    index, newest first: one short index read per device.
    """
    now = now or utcnow()
    began = (
        sa.select(WorkflowEvent.at)
        .where(WorkflowEvent.device_id == Device.id, _changes_state())
        .order_by(WorkflowEvent.id.desc())
        .limit(1)
        .correlate(Device)
        .scalar_subquery()
    )
    stays: dict[str, list[float]] = defaultdict(list)
    for state, since in db.session.execute(
        sa.select(Device.state, sa.type_coerce(began, UtcDateTime)).where(
            Device.state.not_in(ENDS)
        )
    ):
        if since is not None:
            stays[state].append(max(0.0, (now - since).total_seconds()))
    return stays


def time_in_state(period: Period, now: datetime | None = None) -> list[dict]:
    """Per state: the stays that ended in `period` (count, median, mean, p90 in
    days) and the devices in it now (count, median days so far)."""
    ended, still = ended_summary(period), open_stays(now)
    rows = []
    for state in STATES:
        stays, median, mean, p90 = ended.get(state, (0, None, None, None))
        going = still.get(state, [])
        rows.append(
            {
                "state": state,
                "stays": stays,
                "median_days": _days(median) if stays else None,
                "mean_days": _days(mean) if stays else None,
                "p90_days": _days(p90) if stays else None,
                "open": len(going),
                "open_median_days": (
                    _days(statistics.median(going)) if going else None
                ),
            }
        )
    return rows
