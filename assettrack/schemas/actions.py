"""The payload each workflow action takes (API.md: POST .../actions/<action>)."""

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate
from marshmallow import validates_schema

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


class ErasureSchema(Schema):
    """One disk's erasure, in NIST SP 800-88 / IEEE 2883 terms (DESIGN.md)."""

    id = fields.Integer(dump_only=True)
    disk = Id(required=True, attribute="disk")
    method = fields.String(
        required=True, validate=validate.OneOf(["clear", "purge", "destroy"])
    )
    technique = Text(
        required=True,
        min_length=1,
        max_length=40,
        metadata={
            "description": "e.g. overwrite-1-pass, ata-secure-erase,"
            " nvme-sanitize, crypto-erase, shred"
        },
    )
    tool = Text(required=True, min_length=1, max_length=80)
    tool_version = Text(load_default="", max_length=40)
    verification = fields.String(
        required=True, validate=validate.OneOf(["none", "sampled", "full"])
    )
    result = fields.String(required=True, validate=validate.OneOf(["passed", "failed"]))
    started_at = fields.AwareDateTime(required=True)
    finished_at = fields.AwareDateTime(required=True)
    log_sha256 = fields.String(
        validate=validate.Regexp(r"^[0-9a-f]{64}$"), allow_none=True
    )

    @validates_schema
    def _finished_after_start(self, data, **kwargs):
        """An erasure that ends before it starts is a typing error, not a record."""
        if data["finished_at"] < data["started_at"]:
            raise ValidationError("must not be before started_at", "finished_at")


class QcSchema(Schema):
    id = fields.Integer(dump_only=True)
    items = fields.Dict(
        keys=Text(max_length=40),
        values=fields.String(validate=validate.OneOf(["pass", "fail", "na"])),
        required=True,
        validate=validate.Length(min=1, max=50),
    )
    grade = fields.String(
        validate=validate.OneOf(["A", "B", "C"]), allow_none=True, load_default=None
    )
    notes = Text(load_default="", max_length=2000)
    created_at = fields.AwareDateTime(dump_only=True)
