"""Which devices a person may see and act on (DESIGN.md, Privacy and safety).

A repair partner and a lending desk reach the devices in their organisation's
care: standing at one of its places, or sent to one and not yet received (the
sender keeps it in reach until it arrives, so a wrong hand-over can be put
right). A coordinator and an admin reach the whole digibank: one installation
serves one digibank (docs/decisions.md).
"""

import sqlalchemy as sa

from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import Certificate
from assettrack.models import Device
from assettrack.models import Location
from assettrack.models import User

WHOLE_DIGIBANK = frozenset({"admin", "coordinator"})


def sees_everything(user: User) -> bool:
    return user.role in WHOLE_DIGIBANK


def places_of(user: User) -> sa.Select:
    return sa.select(Location.id).where(
        Location.organisation_id == user.organisation_id
    )


def devices_within(user: User) -> sa.ColumnElement[bool]:
    """The SQL condition for the devices `user` reaches."""
    if sees_everything(user):
        return sa.true()
    # The places' ids as literals (an organisation has a handful): PostgreSQL
    # then reads both columns' indexes (BitmapOr), not every device (bench/reach.py).
    ours = db.session.scalars(places_of(user)).all()
    if not ours:
        return sa.false()
    return sa.or_(Device.location_id.in_(ours), Device.in_transit_to_id.in_(ours))


def within(user: User, device: Device) -> bool:
    if sees_everything(user):
        return True
    return user.organisation_id is not None and any(
        place is not None and place.organisation_id == user.organisation_id
        for place in (device.location, device.in_transit_to)
    )


def found_here(user: User, payload: dict) -> bool:
    """Whether a `relocate` puts the device at one of the person's own places:
    allowed for a device out of reach, as a stock-take's corrections do, so the
    volunteer holding it needs no coordinator to say where it stands."""
    if user.organisation_id is None:
        return False
    place = db.session.get(Location, payload.get("location"))
    return place is not None and place.organisation_id == user.organisation_id


def certificates_within(user: User) -> sa.ColumnElement[bool]:
    """The certificates `user` reaches: everyone's for the whole digibank; for a
    repair partner those its people issued and those of devices in its care."""
    if sees_everything(user):
        return sa.true()
    ours = sa.select(User.id).where(User.organisation_id == user.organisation_id)
    in_care = sa.select(Device.id).where(devices_within(user))
    return sa.or_(
        Certificate.issued_by_id.in_(ours), Certificate.device_id.in_(in_care)
    )


def place_of(device: Device) -> Location | None:
    """Where to look for a device: the place it was sent to, else where it stands."""
    return device.in_transit_to or device.location


def out_of_reach(device: Device) -> ApiError:
    """The refusal for a device in another organisation's care: where it is
    (tags are printed on the devices, no secret), and what to do about it."""
    place = place_of(device)
    where = f"{place.name} ({place.organisation.name})" if place else "unknown"
    return ApiError(
        403,
        f"{device.asset_tag} is in the care of {where}; you reach only the devices "
        "at your organisation's places. Is it here? Relocate it to your place, or "
        "count it in a stock-take.",
    )


def reach(user: User, device: Device) -> Device:
    """`device` when `user` reaches it; otherwise refused (403) saying where it is."""
    if not within(user, device):
        raise out_of_reach(device)
    return device
