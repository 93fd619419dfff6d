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
    """One group's devices of one kind in one state."""

    location = fields.Nested(StockPlaceSchema, allow_none=True)
    organisation = fields.Nested(OrganisationSchema, allow_none=True)
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

    from_ = fields.Nested(
        StockPlaceSchema, attribute="origin", data_key="from", allow_none=True
    )
    to = fields.Nested(StockPlaceSchema, attribute="destination")
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
    in_transit = fields.List(fields.Nested(StockTransitSchema))
    totals = fields.Nested(StockTotalsSchema)
