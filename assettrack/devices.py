"""Finding devices and presenting them to the person who asks."""

import sqlalchemy as sa

from assettrack import lifecycle
from assettrack import workflow
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import Borrower
from assettrack.models import Device
from assettrack.models import Location
from assettrack.models import QcRecord
from assettrack.models import User
from assettrack.models import WorkflowEvent
from assettrack.reach import devices_within
from assettrack.reach import reach
from assettrack.reach import sees_everything
from assettrack.tagging import find_device

# Who may see who borrowed a device (DESIGN.md: a repair partner never sees
# borrowers; a lending desk sees only its own).
SEES_ALL_BORROWERS = {"admin", "coordinator"}


def sees_borrower(user: User, borrower: Borrower) -> bool:
    if user.role in SEES_ALL_BORROWERS:
        return True
    return user.role == "desk" and borrower.organisation_id == user.organisation_id


def device_or_404(raw_tag: str, user: User) -> Device:
    """The device a typed or scanned tag names, when `user` reaches it.

    :raises ApiError: 404 when no device has the tag, 403 when it is in another
        organisation's care (reach.py).
    :raises TagError: the text is not a tag or fails its check (answered as 404).
    """
    return reach(user, find_or_404(raw_tag))


def find_or_404(raw_tag: str) -> Device:
    """The device a tag names, whoever asks; 404 when there is none."""
    device = find_device(raw_tag)
    if device is None:
        raise ApiError(404, f"no device with tag {raw_tag.strip()[:40]}")
    return device


def filtered(args: dict, user: User) -> sa.Select:
    """The devices `user` reaches that match the list's filters."""
    # In someone's reach are a few thousand devices at most: sorting them beats
    # walking the primary key through all the others (`id + 0` is not indexed).
    order = Device.id if sees_everything(user) else Device.id + 0
    select = sa.select(Device).where(devices_within(user)).order_by(order)
    for name in ("state", "kind"):
        if name in args:
            select = select.where(getattr(Device, name) == args[name])
    if "location" in args:
        select = select.where(Device.location_id == args["location"])
    if "donation" in args:
        select = select.where(Device.donation_id == args["donation"])
    if "home" in args:
        select = select.where(Device.home_location_id == args["home"])
    if "away" in args:
        # On its way, a device is away from home even when it left from there.
        at_home = sa.and_(
            Device.location_id == Device.home_location_id,
            Device.in_transit_to_id.is_(None),
        )
        select = select.where(sa.not_(at_home) if args["away"] else at_home)
    if "in_transit" in args:
        sent = Device.in_transit_to_id
        on_its_way = sent.is_not(None) if args["in_transit"] else sent.is_(None)
        select = select.where(on_its_way)
    if "sent_to" in args:
        select = select.where(Device.in_transit_to_id == args["sent_to"])
    if "organisation" in args or "municipality" in args:
        place = sa.select(Location.id)
        if "organisation" in args:
            place = place.where(Location.organisation_id == args["organisation"])
        if "municipality" in args:
            place = place.where(Location.municipality == args["municipality"])
        select = select.where(Device.location_id.in_(place))
    if args.get("q"):
        columns = (Device.asset_tag, Device.serial, Device.make, Device.model)
        select = select.where(
            sa.or_(
                *(column.icontains(args["q"], autoescape=True) for column in columns)
            )
        )
    return select


def present(
    device: Device, user: User, history: lifecycle.History | None = None
) -> Device:
    """Add what depends on the viewer: the actions open to them, the current loan.

    `history`: the device's history when the caller has it (after an action).
    """
    history = history or lifecycle.read_history(device)
    facts = lifecycle.facts_for(device, history=history)
    device.allowed_actions = workflow.allowed(facts, user.role)
    loan = history.loan
    device.current_loan = loan and {
        "due_on": loan.due_on.isoformat(),
        "renewals": loan.renewals,
        "overdue": loan.overdue,
        "borrower": loan.borrower.code
        if loan.borrower and sees_borrower(user, loan.borrower)
        else None,
    }
    device.latest_health = None  # filled by the device agent (issue 6)
    device.latest_check = latest_check(device)
    return device


def latest_check(device: Device) -> QcRecord | None:
    """The device's latest quality check: its lendability is the device's."""
    return db.session.scalar(
        sa.select(QcRecord)
        .where(QcRecord.device_id == device.id)
        .order_by(QcRecord.id.desc())
        .limit(1)
    )


class _Shown:
    """An event as one viewer sees it: payload replaced, stored event untouched."""

    def __init__(self, event: WorkflowEvent, payload: dict):
        self._event, self.payload = event, payload

    def __getattr__(self, name):
        return getattr(self._event, name)


def history_for(events: list[WorkflowEvent], user: User) -> list:
    """The events with the borrowers `user` may not see left out (a lend names one)."""
    named = {e.payload["borrower"] for e in events if (e.payload or {}).get("borrower")}
    visible = {
        borrower.code
        for borrower in db.session.scalars(
            sa.select(Borrower).where(Borrower.code.in_(named))
        )
        if sees_borrower(user, borrower)
    }
    return [
        _Shown(e, {**e.payload, "borrower": None})
        if (e.payload or {}).get("borrower") in named - visible
        else e
        for e in events
    ]
