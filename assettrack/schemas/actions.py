"""The payload each workflow action takes (API.md: POST .../actions/<action>)."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.lending import ACCESSORIES
from assettrack.schemas.common import Id
from assettrack.schemas.common import Text


class NoteSchema(Schema):
    note = Text(max_length=500)


def Accessories(**kwargs) -> fields.List:  # noqa: N802 - reads as a field type
    return fields.List(
        fields.String(validate=validate.OneOf(ACCESSORIES)),
        validate=validate.Length(max=len(ACCESSORIES)),
        metadata={"description": "accessories handed over: " + ", ".join(ACCESSORIES)},
        **kwargs,
    )


class LendSchema(NoteSchema):
    borrower = Text(required=True, min_length=1, max_length=20)
    due_date = fields.Date(
        metadata={"description": "default: from the loan policy (91 days)"}
    )
    accessories = Accessories()
    agreement_accepted = fields.Boolean(
        metadata={"description": "required when the organisation has an agreement"}
    )


class RenewSchema(NoteSchema):
    due_date = fields.Date(
        metadata={"description": "default: the due date plus the policy's days"}
    )
    override_reason = Text(
        max_length=500,
        metadata={"description": "why the desk renews beyond the policy's limit"},
    )


class ReturnSchema(NoteSchema):
    condition_note = Text(max_length=2000)
    accessories_back = Accessories()


class RepairSchema(NoteSchema):
    reason = Text(required=True, max_length=500)


class FailQcSchema(NoteSchema):
    failed_items = fields.List(Text(max_length=40), validate=validate.Length(max=50))


class ScrapSchema(NoteSchema):
    reason = Text(max_length=500)


class TransferSchema(NoteSchema):
    location = Id(required=True, metadata={"description": "where the device is sent"})


class ReceiveSchema(NoteSchema):
    location = Id(
        metadata={"description": "where it arrived; default: where it was sent"}
    )


class RelocateSchema(NoteSchema):
    location = Id(required=True, metadata={"description": "where it was found"})
    stock_take = Id(metadata={"description": "the stock-take that found it"})


PAYLOADS: dict[str, type[Schema]] = {
    "lend": LendSchema,
    "renew": RenewSchema,
    "return": ReturnSchema,
    "send_to_repair": RepairSchema,
    "fail_qc": FailQcSchema,
    "scrap": ScrapSchema,
    "transfer": TransferSchema,
    "receive": ReceiveSchema,
    "relocate": RelocateSchema,
}


def payload_schema(action: str) -> Schema:
    return PAYLOADS.get(action, NoteSchema)()
