"""Label sheets, background jobs and scans."""

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema

from assettrack.schemas.common import Id
from assettrack.schemas.common import Text
from labels.layouts import LAYOUTS

SHEET_LAYOUTS = [name for name, layout in LAYOUTS.items() if layout.is_sheet]
ROLL_LAYOUTS = [name for name, layout in LAYOUTS.items() if not layout.is_sheet]


class LabelQuery(Schema):
    layout = fields.String(load_default="62mm", validate=validate.OneOf(ROLL_LAYOUTS))


class LabelSheetSchema(Schema):
    """Exactly one of `tags`, `donation` or `reservation` says which labels."""

    tags = fields.List(Text(max_length=40), validate=validate.Length(1, 2400))
    donation = Id()
    reservation = Id()
    layout = fields.String(
        load_default="a4-3x8", validate=validate.OneOf(SHEET_LAYOUTS)
    )

    @validates_schema
    def one_source(self, data, **kwargs):
        given = [key for key in ("tags", "donation", "reservation") if key in data]
        if len(given) != 1:
            raise ValidationError(
                "give exactly one of tags, donation or reservation", "_schema"
            )


class JobSchema(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String(
        metadata={"description": "queued, started, finished, failed"}
    )
    done = fields.Integer()
    total = fields.Integer()
    error = fields.String(allow_none=True)
    result = fields.Function(
        lambda job: (
            f"/api/v1/jobs/{job.id}/result" if job.status == "finished" else None
        )
    )
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)


class CodeSchema(Schema):
    text = fields.String()
    symbology = fields.String()


class ScanSchema(Schema):
    codes = fields.List(fields.Nested(CodeSchema))
    devices = fields.List(fields.Raw(), metadata={"description": "the devices named"})
    unknown_tags = fields.List(fields.String())
    not_in_care_tags = fields.List(
        fields.String(),
        metadata={"description": "devices in another organisation's care (403 there)"},
    )
