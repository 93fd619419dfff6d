"""Locations (digileenplekken, workshops, storage) and donated batches."""

import sqlalchemy as sa

from assettrack import places
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import requires
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import Donation
from assettrack.models import Location
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import page_of
from assettrack.schemas.places import DonationSchema
from assettrack.schemas.places import LocationSchema

location_schema = LocationSchema()
donation_schema = DonationSchema()


@bp.get("/locations")
@requires()
@query(PageQuery())
@responds(page_of(LocationSchema)())
def list_locations(args):
    return paginate(sa.select(Location).order_by(Location.name), **args)


@bp.post("/locations")
@requires("coordinator")
@body(location_schema)
@responds(location_schema, 201)
def create_location(data):
    return places.create_location(data)


@bp.get("/donations")
@requires("repair", "coordinator")
@query(PageQuery())
@responds(page_of(DonationSchema)())
def list_donations(args):
    page = paginate(sa.select(Donation).order_by(Donation.id.desc()), **args)
    places.count_devices(page["items"])
    return page


@bp.post("/donations")
@requires("repair", "coordinator")
@body(donation_schema)
@responds(donation_schema, 201)
def create_donation(data):
    return places.create_donation(data)


@bp.get("/donations/<id:donation_id>")
@requires("repair", "coordinator")
@responds(donation_schema)
def get_donation(donation_id):
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        raise ApiError(404, f"no donation {donation_id}")
    places.count_devices([donation])
    return donation
