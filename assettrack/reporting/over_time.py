"""Stock per place over time: the devices on hand at each place at the end of
each month (or week, for a short period), derived from the events alone.

On hand means at the place, not on its way elsewhere, and not lent, scrapped or
lost. Rather than replaying a million events forwards, the series starts from
today's counts (one grouped query on the devices) and walks back through the
events that change them, counted per (step, place, action) in SQL:

- register, return, receive: +1 at the event's place (taken in, back, arrived);
- lend, scrap: -1 at the event's place (the device was there);
- transfer: -1 at the event's place, the origin (the device is on its way);
- relocate: +1 at the event's place (the new one), and -1 at the payload's
  "from_location" when it was not in transit (with "sent_to" it was nowhere).

report_lost is from lent (not on hand), renew keeps a device lent: no change.

Limitation: transfers recorded before migration 0012 were one scan (the event's
place is the destination, the device arrived at once). Such an event is walked
back as a departure from its destination, so months before an old database's
upgrade can be off at the places involved. Histories recorded since are exact.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Location
from assettrack.models import WorkflowEvent
from assettrack.models.types import utcnow
from assettrack.reporting.per_month import months_up_to
from assettrack.reporting.per_month import next_month
from assettrack.reporting.period import Period

NOT_ON_HAND = ("lent", "scrapped", "lost")
# What one event changes at its own place; relocate also takes one off where
# it was thought to be (its payload's "from_location").
CHANGE = {
    "register": 1,
    "return": 1,
    "receive": 1,
    "relocate": 1,
    "lend": -1,
    "scrap": -1,
    "transfer": -1,
}
# Periods up to this many days are drawn per week, longer ones per month.
WEEKLY_UP_TO = 62


@dataclass(frozen=True)
class Line:
    """One place's devices on hand at the end of each step."""

    place: Location
    counts: list[int]

    @property
    def most(self) -> int:
        return max(self.counts, default=0)


@dataclass(frozen=True)
class OverTime:
    step: str  # "month" or "week"
    steps: list[Period]  # the counts are taken at each one's end (or now)
    lines: list[Line]

    @property
    def most(self) -> int:
        return max((line.most for line in self.lines), default=0)


def steps_of(period: Period) -> tuple[str, list[Period]]:
    """The period cut into weeks (short periods) or calendar months."""
    if (period.end - period.start).days <= WEEKLY_UP_TO:
        step, cut = "week", lambda day: day + timedelta(days=7)
    else:
        step, cut = "month", lambda day: next_month(day.replace(day=1))
    found, start = [], period.start
    while start < period.end:
        end = min(cut(start), period.end)
        found.append(Period(start, end))
        start = end
    return step, found


def last_months(today: date, months: int = 12) -> Period:
    """The `months` calendar months up to the one holding `today`."""
    chosen = months_up_to(today, months)
    return Period(chosen[0].start, chosen[-1].end)


def on_hand_now(place_ids=None) -> dict[int, int]:
    """Devices on hand per place now: one grouped query on the devices."""
    select = (
        sa.select(Device.location_id, sa.func.count())
        .where(
            Device.location_id.is_not(None),
            Device.in_transit_to_id.is_(None),
            Device.state.not_in(NOT_ON_HAND),
        )
        .group_by(Device.location_id)
    )
    return dict(db.session.execute(select).all())


def _changes(ends: list[datetime]) -> dict[int, dict[int, int]]:
    """{step: {place: net change}} of the events from `ends[0]` on.

    Step k holds the events in [ends[k], ends[k + 1]); the last one runs on
    to now. An event exactly at a step's end happened after its count.
    """
    which = sa.case(
        *((WorkflowEvent.at < end, n) for n, end in enumerate(ends[1:])),
        else_=len(ends) - 1,
    )
    events = (
        sa.select(
            which.label("step"),
            WorkflowEvent.location_id.label("place"),
            WorkflowEvent.action.label("action"),
        )
        .where(WorkflowEvent.action.in_(CHANGE), WorkflowEvent.at >= ends[0])
        .subquery()
    )
    counted = db.session.execute(
        sa.select(events.c.step, events.c.place, events.c.action, sa.func.count())
        .where(events.c.place.is_not(None))
        .group_by(events.c.step, events.c.place, events.c.action)
    ).all()
    change: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for step, place, action, number in counted:
        change[step][place] += CHANGE[action] * number
    # A relocate also leaves where it was thought to be: few events, one query.
    moved = (
        sa.select(
            which.label("step"),
            WorkflowEvent.payload["from_location"].as_integer().label("origin"),
        )
        .where(WorkflowEvent.action == "relocate", WorkflowEvent.at >= ends[0])
        .subquery()
    )
    for step, origin, number in db.session.execute(
        sa.select(moved.c.step, moved.c.origin, sa.func.count())
        .where(moved.c.origin.is_not(None))
        .group_by(moved.c.step, moved.c.origin)
    ):
        change[step][origin] -= number
    return change


def over_time(
    period: Period, places: list[Location], now: datetime | None = None
) -> OverTime:
    """Devices on hand at each of `places` at the end of each step of `period`.

    A step that ends after `now` is counted now (this month so far).
    """
    now = now or utcnow()
    step, steps = steps_of(period)
    ends = [min(p.bounds()[1], now) for p in steps]
    counts = on_hand_now()
    past = [end for end in ends if end < now]
    series: dict[int, list[int]] = {
        p.id: [counts.get(p.id, 0)] * len(ends) for p in places
    }
    if past:
        change = _changes(past)
        # Walk back from now: the count at a step's end is now's minus what
        # happened after it.
        running = dict(counts)
        for k in range(len(past) - 1, -1, -1):
            for place, delta in change.get(k, {}).items():
                running[place] = running.get(place, 0) - delta
            for place in places:
                series[place.id][k] = running.get(place.id, 0)
    lines = [Line(place, series[place.id]) for place in places]
    return OverTime(step, steps, lines)
