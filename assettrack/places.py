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
