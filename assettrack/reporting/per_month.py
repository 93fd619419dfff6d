"""Devices lent per month, counted from the `lend` events alone.

A month is a Belgian calendar month (as `Period` has it): a loan at 00:30 on
1 March in Gent is a March loan. All months are counted in one grouped query,
so the stock page stays one round trip per figure however long the history.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import WorkflowEvent
from assettrack.reporting.period import Period

LEND = "lend"


@dataclass(frozen=True)
class Month:
    first: date  # its first day
    lent: int  # lend events in it


def _next(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _previous(first: date) -> date:
    return date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)


def months_up_to(today: date, months: int = 12) -> list[Period]:
    """The `months` calendar months up to the one holding `today`, oldest first."""
    firsts = [today.replace(day=1)]
    while len(firsts) < months:
        firsts.append(_previous(firsts[-1]))
    return [Period(first, _next(first)) for first in reversed(firsts)]


def lent_per_month(
    today: date, months: int = 12, kind: str | None = None
) -> list[Month]:
    """How many times a device (of `kind`, or any) was lent in each month."""
    periods = months_up_to(today, months)
    bounds = [period.bounds() for period in periods]
    which = sa.case(
        *((WorkflowEvent.at < end, n) for n, (_, end) in enumerate(bounds)),
        else_=None,
    ).label("month")
    select = (
        sa.select(which, sa.func.count())
        .where(
            WorkflowEvent.action == LEND,
            WorkflowEvent.at >= bounds[0][0],
            WorkflowEvent.at < bounds[-1][1],
        )
        .group_by(which)
    )
    if kind:
        select = select.join(Device, Device.id == WorkflowEvent.device_id).where(
            Device.kind == kind
        )
    counted = dict(db.session.execute(select).all())
    return [Month(period.start, counted.get(n, 0)) for n, period in enumerate(periods)]
