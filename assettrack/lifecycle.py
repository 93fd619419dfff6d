"""Apply workflow decisions to the database: the only writer of `Device.state`.

`perform` builds the device's facts, asks `workflow.decide`, applies the action's
effects, appends exactly one event and commits once; or changes nothing and raises.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from assettrack import erasures
from assettrack import lending
from assettrack import stock
from assettrack import workflow
from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import Device
from assettrack.models import Disk
from assettrack.models import ErasureRecord
from assettrack.models import Loan
from assettrack.models import LoanAgreement
from assettrack.models import Location
from assettrack.models import QcRecord
from assettrack.models import User
from assettrack.models import WorkflowEvent
from assettrack.models.types import utcnow
from assettrack.problems import Conflict
from assettrack.workflow import DeviceFacts
from assettrack.workflow import DiskFacts
from assettrack.workflow import Erased
from assettrack.workflow import LoanFacts
from assettrack.workflow import PlaceFacts
from assettrack.workflow import QcFacts
from assettrack.workflow import State
from assettrack.workflow import checklist
from assettrack.workflow.erasure import Level
from assettrack.workflow.erasure import media_of

_POSITIONS = ("register", "return", "start_wipe", "finish_wipe", "submit_qc")


def _place(location: Location | None) -> PlaceFacts | None:
    return location and PlaceFacts(location.id, location.name, location.kind)


def open_loan(device: Device) -> Loan | None:
    # The caller holds the device: joining it again (with its location and
    # disks) would cost a join and a second query on every call.
    return db.session.scalar(
        sa.select(Loan)
        .where(Loan.device_id == device.id, Loan.closed_at.is_(None))
        .options(so.lazyload(Loan.device))
    )


def last_event_id(device: Device) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.max(WorkflowEvent.id)).where(
                WorkflowEvent.device_id == device.id
            )
        )
        or 0
    )


@dataclass(frozen=True)
class References:
    """What an action's payload names, looked up once for the guards and the effects."""

    borrower: Borrower | None = None
    destination: Location | None = None
    # Lending: the policy of the device's lending point and kind, the agreement
    # a new loan accepts, and the borrower's other loans.
    policy: lending.Policy | None = None
    agreement: LoanAgreement | None = None
    borrower_facts: workflow.BorrowerFacts | None = None


def references(
    payload: dict,
    actor: User,
    device: Device | None = None,
    action: str = "",
    *,
    in_basket: int = 0,
    writing: bool = False,
) -> References:
    """Look up the payload's borrower and location; a desk finds only its own.

    `writing`: a lend holds the borrower (`lending.hold`) before counting their
    loans. `in_basket`: devices the desk is about to lend the borrower besides
    this one, for the desk's scan.
    """
    borrower = None
    if code := payload.get("borrower"):
        select = sa.select(Borrower).where(Borrower.code == code)
        if actor.role != "admin":
            select = select.where(Borrower.organisation_id == actor.organisation_id)
        borrower = db.session.scalar(select)
        if borrower and writing and action == "lend":
            lending.hold(borrower)
    location_id = payload.get("location")
    destination = db.session.get(Location, location_id) if location_id else None
    if device is None or action not in ("lend", "renew"):
        return References(borrower, destination)
    policy = lending.policy_for(device.location_id, device.kind)
    agreement = None
    if action == "lend":
        agreement = lending.current_agreement(
            device.location and device.location.organisation_id
        )
    facts = borrower and lending.borrower_facts(borrower, date.today(), in_basket)
    return References(borrower, destination, policy, agreement, facts)


def with_defaults(action: str, payload: dict, refs: References, history) -> dict:
    """The payload with the due date the loan policy gives when none is given."""
    if payload.get("due_date") or refs.policy is None:
        return payload
    if action == "lend":
        due = date.today() + timedelta(days=refs.policy.loan_days)
    elif history.loan is not None:
        due = history.loan.due_on + timedelta(days=refs.policy.renewal_days)
    else:
        return payload
    return {**payload, "due_date": due}


def with_place(action: str, payload: dict, device: Device) -> dict:
    """A copy of the payload; a `receive` names no place: it arrived where sent."""
    payload = dict(payload)
    if action == "receive" and not payload.get("location"):
        if device.in_transit_to_id is not None:
            payload["location"] = device.in_transit_to_id
    return payload


@dataclass
class History:
    """Where a device's history stands: all the guards compare against.

    `positions`: the latest event id of each action in `_POSITIONS`; `erased`: per
    disk still in the device, per level reached, its latest passing erasure; `qc`:
    the latest check since the device entered qc; `loan`: the open loan of a lent
    device.
    """

    positions: dict[str, int]
    erased: dict[int, dict[Level, Erased]]
    qc: QcRecord | None = None
    loan: Loan | None = None

    def advance(self, event: WorkflowEvent) -> None:
        """Move past `event` without reading the history again."""
        if event.action in _POSITIONS:
            self.positions[event.action] = event.id
        # No action stays in qc, and one that enters it has no check recorded yet.
        self.qc = None


def read_history(device: Device) -> History:
    """The device's `History`, in one round trip (two in qc or when lent)."""
    events = (
        sa.select(
            sa.literal_column("'event'"),
            WorkflowEvent.action,
            sa.cast(sa.null(), sa.String),  # level and technique: erasures only
            sa.cast(sa.null(), sa.String),
            sa.func.max(WorkflowEvent.id),
        )
        .where(
            WorkflowEvent.device_id == device.id,
            WorkflowEvent.action.in_(_POSITIONS),
        )
        .group_by(WorkflowEvent.action)
    )
    # Per disk still in the device and level reached, the latest passing erasure
    # (by technique too, so a refusal can say how the best one was done).
    erasures = (
        sa.select(
            sa.literal_column("'erasure'"),
            sa.cast(ErasureRecord.disk_id, sa.String),
            ErasureRecord.level,
            ErasureRecord.technique,
            sa.func.max(ErasureRecord.after_event_id),
        )
        .join(Disk, Disk.id == ErasureRecord.disk_id)
        .where(
            ErasureRecord.device_id == device.id,
            ErasureRecord.outcome == "erased",
            ErasureRecord.level.is_not(None),
            sa.func.coalesce(ErasureRecord.verification_result, "") != "failed",
            Disk.removed_at.is_(None),
        )
        .group_by(ErasureRecord.disk_id, ErasureRecord.level, ErasureRecord.technique)
    )
    history = History({}, {})
    rows = db.session.execute(sa.union_all(events, erasures))
    for kind, key, level, technique, position in rows:
        if kind == "event":
            history.positions[key] = position
            continue
        levels = history.erased.setdefault(int(key), {})
        latest = levels.get(Level(level))
        if latest is None or latest.position < position:
            levels[Level(level)] = Erased(position, technique)
    if device.state == State.qc:
        history.qc = db.session.scalar(
            sa.select(QcRecord)
            .where(
                QcRecord.device_id == device.id,
                QcRecord.after_event_id >= history.positions.get("submit_qc", 0),
            )
            .order_by(QcRecord.id.desc())
            .limit(1)
        )
    if device.state == State.lent:
        history.loan = open_loan(device)
    return history


def _disk_facts(device: Device, history: History) -> tuple[DiskFacts, ...]:
    """The disks still in the device, each with the level its media needs."""
    policy = erasures.policy_for(device)
    facts = []
    for disk in device.disks:
        if disk.removed_at is not None:
            continue
        media = media_of(disk.kind, disk.interface)
        facts.append(
            DiskFacts(
                disk.label,
                disk.data_bearing,
                media,
                policy.required[media],
                history.erased.get(disk.id, {}),
            )
        )
    return tuple(facts)


def _qc_facts(record: QcRecord) -> QcFacts:
    """The check as the guards see it, with the checklist it was made against."""
    return QcFacts(
        record.items,
        record.grade,
        checklist.by_name(record.template),
        record.lendability,
        tuple(
            reason["text"]
            for reason in record.lendability_reasons
            if reason.get("limit") == record.lendability
        ),
    )


def facts_for(
    device: Device,
    payload: dict | None = None,
    refs: References = References(),
    history: History | None = None,
) -> DeviceFacts:
    """Everything the guards may look at, as a plain snapshot."""
    history = history or read_history(device)
    positions, qc, loan = history.positions, history.qc, history.loan
    config = current_app.config
    policy = refs.policy
    if policy is None and loan is not None:  # what renewing allows
        policy = lending.policy_for(device.location_id, device.kind)
    policy = policy or lending.DEFAULT_POLICY
    return DeviceFacts(
        state=State(device.state),
        today=date.today(),
        location=_place(device.location),
        in_transit_to=_place(device.in_transit_to),
        disks=_disk_facts(device, history),
        last_exposure=max(positions.get("register", 0), positions.get("return", 0)),
        last_wipe_start=positions.get("start_wipe"),
        last_wipe_finish=positions.get("finish_wipe"),
        qc=qc and _qc_facts(qc),
        loan=loan and LoanFacts(loan.due_on, loan.renewals),
        borrower_known=refs.borrower is not None,
        borrower=refs.borrower_facts,
        destination=_place(refs.destination),
        max_renewals=policy.max_renewals,
        max_open_loans=policy.max_open_loans,
        agreement_version=refs.agreement and refs.agreement.version,
        max_loan_days=config["MAX_LOAN_DAYS"],
        payload=payload or {},
    )


@dataclass
class Step:
    """One action being applied: what its effect may read and change."""

    device: Device
    action: str
    payload: dict  # the event's payload: an effect may add what it needs kept
    refs: References
    history: History

    def current_loan(self) -> Loan:
        """The loan a lent device's action changes; none: someone closed it first."""
        if self.history.loan is None:
            raise Conflict("the loan was closed by someone else")
        return self.history.loan


# What each action changes besides the state.
def _lend(step: Step) -> None:
    borrower, agreement = step.refs.borrower, step.refs.agreement
    # The figures statistics need, taken now: they outlive the borrower's identity.
    step.history.loan = Loan(
        device_id=step.device.id,
        borrower_id=borrower.id,
        borrower_pseudonym=lending.pseudonym(borrower.id),
        borrower_group=borrower.target_group,
        borrower_municipality=borrower.municipality,
        location_id=step.device.location_id,
        due_on=step.payload["due_date"],
        agreement_id=agreement and agreement.id,
        agreement_sha256=agreement.sha256 if agreement else "",
        accessories_out=list(step.payload.get("accessories", [])),
    )
    db.session.add(step.history.loan)


def _renew(step: Step) -> None:
    loan = step.current_loan()
    loan.due_on = step.payload["due_date"]
    loan.renewals += 1


def _closer(outcome: str) -> Callable[[Step], None]:
    def close(step: Step) -> None:
        loan = step.current_loan()
        loan.closed_at, loan.outcome = utcnow(), outcome
        if outcome == "returned":
            loan.condition_note = step.payload.get("condition_note", "")
            loan.accessories_back = list(step.payload.get("accessories_back", []))
        step.history.loan = None

    return close


def _send(step: Step) -> None:
    """The device leaves: in transit, at neither place, until it is received."""
    step.device.in_transit_to = step.refs.destination
    step.device.in_transit_to_id = step.refs.destination.id
    step.device.in_transit_since = utcnow()


def _arrive(step: Step) -> None:
    """The device is where the payload says: the end of a transfer, or a correction.

    The event keeps what the records said before: where the device was sent,
    or, if it was not on its way, the place it was thought to be.
    """
    device, destination = step.device, step.refs.destination
    if device.in_transit_to_id is not None:
        step.payload["sent_to"] = device.in_transit_to_id
    elif device.location_id is not None:
        step.payload["from_location"] = device.location_id
    # Set the ids too: the event below reads them before any flush would.
    device.location, device.location_id = destination, destination.id
    device.in_transit_to, device.in_transit_to_id = None, None
    device.in_transit_since = None
    device.home_location_id = stock.new_home(
        step.action, destination, device.home_location_id
    )


EFFECTS: dict[str, Callable[[Step], None]] = {
    "lend": _lend,
    "renew": _renew,
    "return": _closer("returned"),
    "report_lost": _closer("lost"),
    "transfer": _send,
    "receive": _arrive,
    "relocate": _arrive,
}


def _jsonable(payload: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in payload.items()}


@dataclass(frozen=True)
class Performed:
    event: WorkflowEvent
    history: History  # as it stands after the event, for the answer's facts


def perform(device: Device, action: str, actor: User, payload: dict) -> Performed:
    """Perform one workflow action for `actor`, or change nothing and raise.

    :raises workflow.WorkflowError: refused, with the reason and what is allowed.
    :raises Conflict: another request changed the device first.
    """
    try:
        payload = with_place(action, payload, device)
        refs = references(payload, actor, device, action, writing=True)
        history = read_history(device)
        payload = with_defaults(action, payload, refs, history)
        facts = facts_for(device, payload, refs, history)
        transition = workflow.decide(facts, action, actor.role)
        source = device.state
        if effect := EFFECTS.get(action):
            effect(Step(device, action, payload, refs, history))
        device.state = workflow.target_of(transition, State(source)).value
        device.touch()
        event = WorkflowEvent(
            device_id=device.id,
            action=action,
            from_state=source,
            to_state=device.state,
            actor_id=actor.id,
            location_id=device.location_id,
            payload=_jsonable(payload),
        )
        db.session.add(event)
        commit()
    except BaseException:
        db.session.rollback()
        raise
    history.advance(event)
    return Performed(event, history)


def check(
    device: Device, action: str, actor: User, payload: dict, in_basket: int = 0
) -> workflow.WorkflowError | None:
    """Why `action` would be refused now, or None; writes nothing (the desk's scan).

    `in_basket`: devices already in the desk's basket for the same borrower.
    """
    payload = with_place(action, payload, device)
    refs = references(payload, actor, device, action, in_basket=in_basket)
    history = read_history(device)
    payload = with_defaults(action, payload, refs, history)
    try:
        workflow.decide(facts_for(device, payload, refs, history), action, actor.role)
    except workflow.WorkflowError as exc:
        return exc
    return None


def commit() -> None:
    """Commit, turning a lost race into `Conflict` (the transaction is rolled back)."""
    try:
        db.session.commit()
    except (StaleDataError, sa.exc.IntegrityError) as exc:
        db.session.rollback()
        raise Conflict(str(exc)) from exc
    except sa.exc.OperationalError as exc:
        db.session.rollback()
        # SQLite answers a concurrent writer with "database is locked".
        if "locked" in str(exc) or "could not serialize" in str(exc):
            raise Conflict(str(exc)) from exc
        raise
