"""The payload each workflow action takes (API.md: POST .../actions/<action>)."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.schemas.common import Id
from assettrack.schemas.common import Text


class NoteSchema(Schema):
    note = Text(max_length=500)


class LendSchema(NoteSchema):
    borrower = Text(required=True, min_length=1, max_length=20)
    due_date = fields.Date(required=True)


class RenewSchema(NoteSchema):
    due_date = fields.Date(required=True)


class RepairSchema(NoteSchema):
    reason = Text(required=True, max_length=500)


class FailQcSchema(NoteSchema):
    failed_items = fields.List(Text(max_length=40), validate=validate.Length(max=50))


class ScrapSchema(NoteSchema):
    reason = Text(max_length=500)


class TransferSchema(NoteSchema):
    location = Id(required=True)


PAYLOADS: dict[str, type[Schema]] = {
    "lend": LendSchema,
    "renew": RenewSchema,
    "send_to_repair": RepairSchema,
    "fail_qc": FailQcSchema,
    "scrap": ScrapSchema,
    "transfer": TransferSchema,
}


def payload_schema(action: str) -> Schema:
    return PAYLOADS.get(action, NoteSchema)()
