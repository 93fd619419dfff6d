"""Pre-printed rolls: reserve a block of tags for a repair partner or desk."""

import sqlalchemy as sa

from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.extensions import db
from assettrack.models import Organisation
from assettrack.models import TagReservation
from assettrack.problems import Refusal
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import page_of
from assettrack.schemas.tags import TagReservationSchema
from assettrack.tagging import reserve_tags

reservation_schema = TagReservationSchema()


@bp.post("/tag-reservations")
@requires("coordinator")
@body(reservation_schema)
@responds(reservation_schema, 201)
def reserve(data):
    """Reserve the next `count` tags for an organisation, to print before intake."""
    organisation = db.session.get(Organisation, data["organisation_id"])
    if organisation is None:
        raise Refusal("organisation", "no such organisation")
    return reserve_tags(organisation, data["count"], current_user())


@bp.get("/tag-reservations")
@requires("coordinator", "repair")
@query(PageQuery())
@responds(page_of(TagReservationSchema)())
def list_reservations(args):
    """Reserved rolls, newest first; a repair partner sees its own."""
    select = sa.select(TagReservation).order_by(TagReservation.id.desc())
    user = current_user()
    if user.role == "repair":
        select = select.where(TagReservation.organisation_id == user.organisation_id)
    return paginate(select, **args)
