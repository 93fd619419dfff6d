"""Yearly and per-period figures, counted from the workflow events alone.

Events are the one history nobody edits, so a figure reported last year comes
out the same when asked again. Loans add only what a borrower was at lending
(target group, municipality): never who they are.
"""

import statistics
from collections import Counter
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models import Donation
from assettrack.models import Loan
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import WorkflowEvent
from assettrack.reporting.period import Period
from assettrack.reporting.time_in_state import time_in_state
from assettrack.workflow.states import INTAKE
from assettrack.workflow.states import State

# What the funder reads, and the action whose events count it.
COUNTED = {
    "received": INTAKE,
    "wiped": "finish_wipe",
    "refurbished": "pass_qc",
    "failed_qc": "fail_qc",
    "sent_to_repair": "send_to_repair",
    "repaired": "finish_repair",
    "lent": "lend",
    "returned": "return",
    "scrapped": "scrap",
    "lost": "report_lost",
}
# What a repair partner did, as counted per partner.
WORKSHOP = (
    "wiped",
    "refurbished",
    "failed_qc",
    "sent_to_repair",
    "repaired",
    "scrapped",
)
STATES = tuple(state.value for state in State)
UNNAMED = "(no reason given)"


@dataclass
class Figures:
    period: Period
    totals: list[dict]
    intake_to_ready: dict
    donations: list[dict]
    repair_partners: list[dict]
    lending: list[dict]
    time_in_state: list[dict]


def figures(period: Period) -> Figures:
    """Everything the funder's report needs for `period`."""
    start, end = period.bounds()
    return Figures(
        period=period,
        totals=_totals(start, end),
        intake_to_ready=_intake_to_ready(start, end),
        donations=_donations(start, end),
        repair_partners=_repair_partners(start, end),
        lending=_lending(start, end),
        time_in_state=time_in_state(period),
    )


def _within(start: datetime, end: datetime):
    return sa.and_(WorkflowEvent.at >= start, WorkflowEvent.at < end)


def _totals(start, end) -> list[dict]:
    """Each action counted twice: how often it happened, and to how many devices."""
    rows = db.session.execute(
        sa.select(
            WorkflowEvent.action,
            sa.func.count(),
            sa.func.count(sa.distinct(WorkflowEvent.device_id)),
        )
        .where(_within(start, end), WorkflowEvent.action.in_(COUNTED.values()))
        .group_by(WorkflowEvent.action)
    ).all()
    counted = {action: (times, devices) for action, times, devices in rows}
    return [
        {
            "what": what,
            "action": action,
            "times": counted.get(action, (0, 0))[0],
            "devices": counted.get(action, (0, 0))[1],
        }
        for what, action in COUNTED.items()
    ]


def _acted(start, end, *actions: str):
    """The devices that had one of `actions` in the period, as a subquery.

    A subquery, not a list: a year can hold more devices than a query may
    carry parameters.
    """
    return sa.select(WorkflowEvent.device_id).where(
        _within(start, end), WorkflowEvent.action.in_(actions)
    )


def _first(action: str, devices):
    return (
        sa.select(
            WorkflowEvent.device_id.label("device_id"),
            sa.func.min(WorkflowEvent.at).label("at"),
        )
        .where(WorkflowEvent.action == action, WorkflowEvent.device_id.in_(devices))
        .group_by(WorkflowEvent.device_id)
        .subquery()
    )


def _days(seconds: float) -> float:
    return round(seconds / 86400, 2)


def _intake_to_ready(start, end) -> dict:
    """From intake to the first time ready, for devices first ready in the period."""
    devices = _acted(start, end, "pass_qc")
    ready, registered = _first("pass_qc", devices), _first(INTAKE, devices)
    rows = db.session.execute(
        sa.select(registered.c.at, ready.c.at)
        .join(ready, ready.c.device_id == registered.c.device_id)
        .where(ready.c.at >= start, ready.c.at < end)
    ).all()
    waits = [(_aware(done) - _aware(began)).total_seconds() for began, done in rows]
    return {
        "devices": len(waits),
        "average_days": _days(statistics.fmean(waits)) if waits else None,
        "median_days": _days(statistics.median(waits)) if waits else None,
    }


def _aware(moment) -> datetime:
    """A time from an aggregate, aware whatever the backend hands back."""
    if isinstance(moment, str):  # SQLite, should the column type be lost
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _donations(start, end) -> list[dict]:
    """Per batch received in the period: how many, and where they stand at its end.

    The batch is the one the intake event named; where a device stands is the
    target of its last event before the period's end.
    """
    # Each device's last event before the end, found through the (device_id,
    # id) index newest first: at 1M events a third of the time of grouping
    # every event of the batches' devices.
    later = so.aliased(WorkflowEvent)
    state = (
        sa.select(later.to_state)
        .where(later.device_id == WorkflowEvent.device_id, later.at < end)
        .order_by(later.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    registered = (
        sa.select(
            WorkflowEvent.payload["donation"].as_integer().label("donation"),
            state.label("state"),
        )
        .where(_within(start, end), WorkflowEvent.action == INTAKE)
        .subquery()
    )
    counted = db.session.execute(
        sa.select(registered.c.donation, registered.c.state, sa.func.count()).group_by(
            registered.c.donation, registered.c.state
        )
    ).all()
    states: dict[int | None, Counter] = defaultdict(Counter)
    for donation_id, state, count in counted:
        states[donation_id][state] += count
    known = {
        donation.id: donation
        for donation in db.session.scalars(
            sa.select(Donation).where(Donation.id.in_([d for d in states if d]))
        )
    }
    rows = []
    for donation_id in sorted(states, key=lambda d: (d is None, d or 0)):
        donation = known.get(donation_id)
        rows.append(
            {
                "donation": donation_id,
                "donor": donation.donor.name if donation else "",
                "received_on": donation.received_on if donation else None,
                "received": states[donation_id].total(),
                "states": {state: states[donation_id][state] for state in STATES},
            }
        )
    return rows


def _partner_events(start, end, actions):
    return (
        sa.select(Organisation.id, Organisation.name, Organisation.kind)
        .select_from(WorkflowEvent)
        .join(Location, Location.id == WorkflowEvent.location_id)
        .join(Organisation, Organisation.id == Location.organisation_id)
        .where(_within(start, end), WorkflowEvent.action.in_(actions))
    )


def _repair_partners(start, end) -> list[dict]:
    """Per organisation where the bench work happened: throughput and why things failed.

    The place is the location the device was at when the event was recorded.
    """
    actions = [COUNTED[what] for what in WORKSHOP]
    counts = db.session.execute(
        _partner_events(start, end, actions)
        .add_columns(WorkflowEvent.action, sa.func.count())
        .group_by(Organisation.id, Organisation.name, Organisation.kind)
        .group_by(WorkflowEvent.action)
    ).all()
    partners: dict[int, dict] = {}
    for org_id, name, kind, action, count in counts:
        partner = partners.setdefault(
            org_id,
            {"organisation": org_id, "name": name, "kind": kind}
            | dict.fromkeys(WORKSHOP, 0)
            | {"failure_reasons": Counter()},
        )
        partner[_what(action)] = count
    failures = db.session.execute(
        _partner_events(start, end, ["fail_qc", "send_to_repair"]).add_columns(
            WorkflowEvent.action, WorkflowEvent.payload
        )
    ).all()
    for org_id, _, _, action, payload in failures:
        partners[org_id]["failure_reasons"].update(_reasons(action, payload or {}))
    return [
        partner
        | {
            "failure_reasons": [
                {"reason": reason, "count": count}
                for reason, count in sorted(
                    partner["failure_reasons"].items(), key=lambda rc: (-rc[1], rc[0])
                )
            ]
        }
        for partner in sorted(partners.values(), key=lambda p: p["name"])
    ]


def _what(action: str) -> str:
    return next(what for what, counted in COUNTED.items() if counted == action)


def _reasons(action: str, payload: dict) -> list[str]:
    """Why a device failed: the failed check items, or the repair reason."""
    if action == "fail_qc":
        items = [str(item) for item in payload.get("failed_items") or []]
        return [f"qc: {item}" for item in items] or [f"qc: {UNNAMED}"]
    reason = str(payload.get("reason") or "").strip()
    return [f"repair: {reason or UNNAMED}"]


_LOAN_MOVES = {"lend": "lent", "return": "returned", "report_lost": "lost"}


def _lending(start, end) -> list[dict]:
    """Loans, returns and losses by target group and municipality of the borrower.

    The n-th lend event of a device made its n-th loan; a return or a loss
    closes the loan of the lend before it.
    """
    devices = _acted(start, end, *_LOAN_MOVES)
    moves = (
        sa.select(
            WorkflowEvent.device_id,
            WorkflowEvent.action,
            WorkflowEvent.at,
            sa.func.sum(sa.case((WorkflowEvent.action == "lend", 1), else_=0))
            .over(partition_by=WorkflowEvent.device_id, order_by=WorkflowEvent.id)
            .label("loan"),
        )
        .where(
            WorkflowEvent.device_id.in_(devices),
            WorkflowEvent.action.in_(_LOAN_MOVES),
            WorkflowEvent.at < end,
        )
        .subquery()
    )
    loans = (
        sa.select(
            Loan.device_id,
            Loan.borrower_group,
            Loan.borrower_municipality,
            sa.func.row_number()
            .over(partition_by=Loan.device_id, order_by=Loan.id)
            .label("number"),
        )
        .where(Loan.device_id.in_(devices))
        .subquery()
    )
    group = sa.func.coalesce(loans.c.borrower_group, "")
    municipality = sa.func.coalesce(loans.c.borrower_municipality, "")
    counted = db.session.execute(
        sa.select(group, municipality, moves.c.action, sa.func.count())
        .select_from(moves)
        .outerjoin(
            loans,
            sa.and_(
                loans.c.device_id == moves.c.device_id,
                loans.c.number == moves.c.loan,
            ),
        )
        .where(moves.c.at >= start)
        .group_by(group, municipality, moves.c.action)
    ).all()
    table: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for target_group, place, action, count in counted:
        table[(target_group, place)][_LOAN_MOVES[action]] += count
    return [
        {
            "target_group": target_group,
            "municipality": place,
            "lent": counts["lent"],
            "returned": counts["returned"],
            "lost": counts["lost"],
        }
        for (target_group, place), counts in sorted(table.items())
    ]
