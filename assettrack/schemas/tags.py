"""Rolls of asset tags reserved for printing before their devices exist."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.schemas.common import Id
from labels.tags import make_tag

MAX_ROLL = 5000


class TagReservationSchema(Schema):
    id = fields.Integer(dump_only=True)
    organisation = Id(
        required=True,
        attribute="organisation_id",
        metadata={"description": "the repair partner or desk that will stick them"},
    )
    count = fields.Integer(required=True, validate=validate.Range(1, MAX_ROLL))
    first_tag = fields.Function(
        lambda r: make_tag(r.first_number, prefix=r.prefix), dump_only=True
    )
    last_tag = fields.Function(
        lambda r: make_tag(r.last_number, prefix=r.prefix), dump_only=True
    )
    created_at = fields.AwareDateTime(dump_only=True)
