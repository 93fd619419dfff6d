"""Places and donated batches: small domain functions the API calls."""

import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Donation
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import OrganisationKind
from assettrack.problems import Refusal


def create_location(data: dict) -> Location:
    if db.session.get(Organisation, data["organisation_id"]) is None:
        raise Refusal("organisation", "no such organisation")
    if db.session.scalar(sa.select(Location.id).filter_by(name=data["name"])):
        raise Refusal("name", "a location with this name exists")
    location = Location(**data)
    db.session.add(location)
    db.session.commit()
    return location


def donor_named(name: str) -> Organisation:
    """The donor organisation with this name, created on first use."""
    donor = db.session.scalar(sa.select(Organisation).filter_by(name=name))
    if donor is None:
        donor = Organisation(name=name, kind=OrganisationKind.donor.value)
        db.session.add(donor)
    elif donor.kind != OrganisationKind.donor:
        raise Refusal("donor", f"{name} is a {donor.kind} organisation, not a donor")
    return donor


def create_donation(data: dict) -> Donation:
    donation = Donation(
        donor=donor_named(data["donor"]),
        received_on=data["received_on"],
        notes=data["notes"],
    )
    db.session.add(donation)
    db.session.commit()
    donation.device_count = 0
    return donation


def count_devices(donations: list[Donation]) -> None:
    """Set `device_count` on each donation with one grouped query."""
    ids = [d.id for d in donations]
    counts = dict(
        db.session.execute(
            sa.select(Device.donation_id, sa.func.count())
            .where(Device.donation_id.in_(ids))
            .group_by(Device.donation_id)
        ).all()
    )
    for donation in donations:
        donation.device_count = counts.get(donation.id, 0)


def intake_locations(user) -> list[Location]:
    """Where `user` may receive devices: their own workshops and stores.

    Coordinators and admins receive anywhere that is not a lending desk.
    """
    select = (
        sa.select(Location)
        .where(Location.kind != "lending")
        .order_by(Location.kind.desc(), Location.name)  # workshops first
    )
    if user.role not in ("admin", "coordinator"):
        select = select.where(Location.organisation_id == user.organisation_id)
    return list(db.session.scalars(select))


def recent_donations(limit: int = 10) -> list[Donation]:
    donations = list(
        db.session.scalars(
            sa.select(Donation).order_by(Donation.id.desc()).limit(limit)
        )
    )
    count_devices(donations)
    return donations


def donor_names() -> list[str]:
    """Known donors, for picking one at intake instead of typing it anew."""
    return list(
        db.session.scalars(
            sa.select(Organisation.name)
            .where(Organisation.kind == OrganisationKind.donor.value)
            .order_by(Organisation.name)
        )
    )


def devices_of(donation: Donation) -> list[Device]:
    """The batch's devices in the order they were registered."""
    return list(
        db.session.scalars(
            sa.select(Device)
            .where(Device.donation_id == donation.id)
            .order_by(Device.id)
        )
    )


def all_locations() -> list[Location]:
    return list(db.session.scalars(sa.select(Location).order_by(Location.name)))
