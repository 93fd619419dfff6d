"""Stock: counts of devices per place, organisation or municipality."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.schemas.common import Id
from assettrack.schemas.devices import DEVICE_KINDS
from assettrack.schemas.places import OrganisationSchema
from assettrack.stock import GROUPS
from assettrack.workflow import State


class StockQuery(Schema):
    group = fields.String(load_default="location", validate=validate.OneOf(GROUPS))
    state = fields.String(validate=validate.OneOf([s.value for s in State]))
    kind = fields.String(validate=validate.OneOf(DEVICE_KINDS))
    location = Id(
        strict=False,
        metadata={"description": "one place: devices there now or at home there"},
    )


class StockPlaceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    municipality = fields.String()
    organisation = fields.Integer(attribute="organisation_id")


class StockRowSchema(Schema):
    """One group's devices of one kind in one state.

    Places and organisations are ids, each described once in the answer's
    `places` and `organisations`: 1,600 rows need not repeat them.
    """

    location = fields.Integer(
        attribute="location_id",
        allow_none=True,
        metadata={"description": "a place in `places` (grouped by location)"},
    )
    organisation = fields.Integer(
        attribute="organisation_id",
        allow_none=True,
        metadata={"description": "an organisation in `organisations`"},
    )
    municipality = fields.String(allow_none=True)
    state = fields.String()
    kind = fields.String()
    count = fields.Integer(metadata={"description": "devices in the group now"})
    away = fields.Integer(
        metadata={"description": "devices at home in the group, now elsewhere"}
    )
    devices = fields.String(
        metadata={"description": "the device list of exactly the counted devices"}
    )
    away_devices = fields.String(
        allow_none=True,
        metadata={"description": "the device list of the away devices (places only)"},
    )


class StockTransitSchema(Schema):
    """Devices sent from one place to another, not received yet."""

    from_ = fields.Function(
        lambda t: t.origin and t.origin.id,
        data_key="from",
        allow_none=True,
        metadata={"description": "the place it was sent from (in `places`)"},
    )
    to = fields.Function(
        lambda t: t.destination.id,
        metadata={"description": "the place it was sent to (in `places`)"},
    )
    count = fields.Integer()
    since = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "when the longest-travelling one was sent"},
    )
    devices = fields.String(metadata={"description": "the device list of these"})


class StockTotalsSchema(Schema):
    devices = fields.Integer(
        metadata={"description": "at the places (the rows) and in transit"}
    )
    in_transit = fields.Integer()
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())


class StockSchema(Schema):
    group = fields.String()
    rows = fields.List(fields.Nested(StockRowSchema))
    places = fields.List(
        fields.Nested(StockPlaceSchema),
        metadata={"description": "every place the rows and routes name"},
    )
    organisations = fields.List(fields.Nested(OrganisationSchema))
    in_transit = fields.List(fields.Nested(StockTransitSchema))
    totals = fields.Nested(StockTotalsSchema)
