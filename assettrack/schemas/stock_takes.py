"""Stock-takes: start one at a place, scan labels, read the result, correct, close."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.schemas.common import Id
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import Text
from assettrack.stocktaking import Finding


class StockTakeStartSchema(Schema):
    location = Id(required=True, metadata={"description": "the place counted"})


class StockTakeQuery(PageQuery):
    location = Id(strict=False, metadata={"description": "only this place's"})


class ScanBodySchema(Schema):
    code = Text(
        required=True,
        min_length=1,
        max_length=200,
        metadata={"description": "what the scanner typed: an asset tag, or any code"},
    )


class StockTakePlaceSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class StockTakeDeviceSchema(Schema):
    """A device in a list, and where the records have it."""

    asset_tag = fields.String()
    kind = fields.String()
    make = fields.String()
    model = fields.String()
    state = fields.String()
    location = fields.Nested(
        StockTakePlaceSchema,
        allow_none=True,
        metadata={"description": "where the records have it"},
    )
    in_transit_to = fields.Nested(
        StockTakePlaceSchema,
        allow_none=True,
        metadata={"description": "where it was sent, when it is on its way"},
    )
    correction = fields.String(
        allow_none=True,
        metadata={"description": "the action that would correct the records"},
    )
    corrected = fields.String(
        allow_none=True,
        metadata={"description": "the correction this stock-take recorded"},
    )
    advice = fields.String(
        allow_none=True, metadata={"description": "for a device not in stock"}
    )


class UnknownCodeSchema(Schema):
    code = fields.String()
    scanned_at = fields.String()


class StockTakeCountsSchema(Schema):
    expected = fields.Integer()
    scanned = fields.Integer()
    found = fields.Integer()
    missing = fields.Integer()
    elsewhere = fields.Integer()
    arriving = fields.Integer()
    on_the_way = fields.Integer()
    out = fields.Integer()
    unknown = fields.Integer()


def _lines(description: str) -> fields.List:
    return fields.List(
        fields.Nested(StockTakeDeviceSchema), metadata={"description": description}
    )


class StockTakeListsSchema(Schema):
    counts = fields.Nested(StockTakeCountsSchema)
    found = _lines("expected here and scanned")
    missing = _lines("expected here, not scanned (not changed: follow them up)")
    elsewhere = _lines("scanned; the records have it elsewhere or on its way there")
    arriving = _lines("scanned; on its way here (the correction is receive)")
    on_the_way = _lines("on its way here, not scanned: not missing")
    out = _lines("scanned; recorded as lent, scrapped or lost: no correction")
    unknown = fields.List(
        fields.Nested(UnknownCodeSchema),
        metadata={"description": "scanned codes no device has"},
    )


class StockTakeSchema(Schema):
    id = fields.Integer()
    location = fields.Nested(StockTakePlaceSchema)
    started_by = fields.Function(lambda s: s.started_by.email)
    started_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)
    corrected_at = fields.AwareDateTime(allow_none=True)


class StockTakeResultSchema(Schema):
    """A stock-take (a `stocktaking.Report`) with its result."""

    id = fields.Integer(attribute="stock_take.id")
    location = fields.Nested(StockTakePlaceSchema, attribute="stock_take.location")
    started_by = fields.Function(lambda r: r.stock_take.started_by.email)
    started_at = fields.AwareDateTime(attribute="stock_take.started_at")
    closed_at = fields.AwareDateTime(attribute="stock_take.closed_at", allow_none=True)
    corrected_at = fields.AwareDateTime(
        attribute="stock_take.corrected_at", allow_none=True
    )
    result = fields.Nested(StockTakeListsSchema)


class StockTakeScanSchema(Schema):
    """The instant answer to one scan."""

    stock_take = fields.Integer(attribute="stock_take.id")
    code = fields.String(metadata={"description": "as kept: the canonical tag"})
    finding = fields.String(validate=validate.OneOf([f.value for f in Finding]))
    again = fields.Boolean(metadata={"description": "scanned before: counts once"})
    device = fields.Nested(StockTakeDeviceSchema, allow_none=True)
    counts = fields.Nested(StockTakeCountsSchema)


class RefusedCorrectionSchema(Schema):
    device = fields.Nested(StockTakeDeviceSchema, attribute="line")
    action = fields.String()
    reasons = fields.List(fields.String())


class StockTakeCorrectionsSchema(Schema):
    stock_take = fields.Integer(attribute="stock_take.id")
    recorded = fields.List(
        fields.Nested(StockTakeDeviceSchema), metadata={"description": "one event each"}
    )
    refused = fields.List(fields.Nested(RefusedCorrectionSchema))
