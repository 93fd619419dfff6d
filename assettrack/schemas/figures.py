"""The funder's figures, a batch's fate, and the export request."""

from datetime import date

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema

# A report covers at most this many days: enough for a few years side by side.
MAX_DAYS = 3700


# Dates a period may name: nothing was recorded before 2000, and far-off years
# would overflow when a Brussels midnight becomes UTC (year 1 has no day before).
IN_RANGE = validate.Range(date(2000, 1, 1), date(9000, 1, 1))


class PeriodQuery(Schema):
    """[from, to): Belgian calendar dates, `to` not included."""

    from_ = fields.Date(required=True, data_key="from", validate=IN_RANGE)
    to = fields.Date(required=True, validate=IN_RANGE)

    @validates_schema
    def forwards(self, data, **kwargs):
        if "from_" in data and "to" in data:
            days = (data["to"] - data["from_"]).days
            if days <= 0:
                raise ValidationError("must be after from", "to")
            if days > MAX_DAYS:
                raise ValidationError(f"at most {MAX_DAYS} days after from", "to")


class FiguresExportSchema(PeriodQuery):
    format = fields.String(required=True, validate=validate.OneOf(["csv", "xlsx"]))


class PeriodSchema(Schema):
    from_ = fields.Date(attribute="start", data_key="from")
    to = fields.Date(attribute="end")
    timezone = fields.String()


class TotalSchema(Schema):
    what = fields.String()
    action = fields.String(metadata={"description": "the event action counted"})
    times = fields.Integer(metadata={"description": "how often it happened"})
    devices = fields.Integer(metadata={"description": "to how many devices"})


class IntakeToReadySchema(Schema):
    devices = fields.Integer(metadata={"description": "first ready in the period"})
    average_days = fields.Float(allow_none=True)
    median_days = fields.Float(allow_none=True)


def _states():
    return fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "devices per state"},
    )


class BatchFiguresSchema(Schema):
    donation = fields.Integer(allow_none=True)
    donor = fields.String()
    received_on = fields.Date(allow_none=True)
    received = fields.Integer(metadata={"description": "registered in the period"})
    states = _states()


class ReasonSchema(Schema):
    reason = fields.String()
    count = fields.Integer()


class PartnerFiguresSchema(Schema):
    organisation = fields.Integer()
    name = fields.String()
    kind = fields.String()
    wiped = fields.Integer()
    refurbished = fields.Integer()
    failed_qc = fields.Integer()
    sent_to_repair = fields.Integer()
    repaired = fields.Integer()
    scrapped = fields.Integer()
    failure_reasons = fields.List(fields.Nested(ReasonSchema))


class LendingFiguresSchema(Schema):
    target_group = fields.String()
    municipality = fields.String()
    lent = fields.Integer()
    returned = fields.Integer()
    lost = fields.Integer()


class TimeInStateSchema(Schema):
    state = fields.String()
    stays = fields.Integer(metadata={"description": "stays that ended in the period"})
    median_days = fields.Float(allow_none=True)
    mean_days = fields.Float(allow_none=True)
    p90_days = fields.Float(allow_none=True)
    open = fields.Integer(metadata={"description": "devices in the state now"})
    open_median_days = fields.Float(
        allow_none=True, metadata={"description": "how long so far, median"}
    )


class FiguresSchema(Schema):
    period = fields.Nested(PeriodSchema)
    totals = fields.List(fields.Nested(TotalSchema))
    intake_to_ready = fields.Nested(IntakeToReadySchema)
    donations = fields.List(fields.Nested(BatchFiguresSchema))
    repair_partners = fields.List(fields.Nested(PartnerFiguresSchema))
    lending = fields.List(fields.Nested(LendingFiguresSchema))
    time_in_state = fields.List(fields.Nested(TimeInStateSchema))


class DeviceFateSchema(Schema):
    asset_tag = fields.String()
    kind = fields.String()
    make = fields.String()
    model = fields.String()
    state = fields.String(allow_none=True)
    last_action = fields.String(allow_none=True)
    last_at = fields.AwareDateTime(allow_none=True)
    registered_at = fields.AwareDateTime(allow_none=True)
    first_ready_at = fields.AwareDateTime(allow_none=True)
    wiped = fields.Integer()
    times_lent = fields.Integer()
    certificates = fields.List(fields.String())


class DonationFateSchema(Schema):
    donation = fields.Integer()
    donor = fields.String()
    received_on = fields.Date()
    devices = fields.List(fields.Nested(DeviceFateSchema))
    states = _states()
    batch_certificates = fields.List(fields.String())
