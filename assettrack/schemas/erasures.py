"""Erasure records (refurb.md c.6) and the policy they are held to."""

from flask import url_for
from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import post_load
from marshmallow import validate
from marshmallow import validates_schema

from assettrack.schemas.common import Id
from assettrack.schemas.common import Text
from assettrack.workflow.erasure import DEFAULT_POLICY
from assettrack.workflow.erasure import HiddenAreas
from assettrack.workflow.erasure import Level
from assettrack.workflow.erasure import Outcome
from assettrack.workflow.erasure import Technique
from assettrack.workflow.erasure import Verification
from assettrack.workflow.erasure import VerificationResult


def _one_of(enum) -> validate.OneOf:
    return validate.OneOf([member.value for member in enum])


class OperatorSchema(Schema):
    email = fields.String()
    name = fields.String()


def _log_url(record) -> str | None:
    if not record.log_sha256:
        return None
    return url_for(
        "api.erasure_log", tag=record.disk.device.asset_tag, erasure_id=record.id
    )


class ErasureSchema(Schema):
    """One disk's erasure as the operator did it; the service says what it reaches.

    `level` is worked out from the disk's media and the technique (NIST SP 800-88
    / IEEE 2883), never taken from the tool's claim; `problems` says why it falls
    short, `meets_policy` is null or why the digibank's policy is not met.
    """

    id = fields.Integer(dump_only=True)
    disk = Id(required=True, attribute="disk_id")
    technique = fields.String(required=True, validate=_one_of(Technique))
    passes = fields.Integer(
        strict=True,
        validate=validate.Range(1, 99),
        metadata={"description": "overwrite passes; required for an overwrite"},
    )
    tool = Text(required=True, min_length=1, max_length=80)
    tool_version = Text(load_default="", max_length=40)
    verification = fields.String(required=True, validate=_one_of(Verification))
    verification_result = fields.String(
        allow_none=True,
        load_default=None,
        validate=_one_of(VerificationResult),
        metadata={"description": "required unless verification is none"},
    )
    hidden_areas = fields.String(
        load_default=HiddenAreas.NOT_CHECKED.value,
        validate=_one_of(HiddenAreas),
        metadata={"description": "HPA/DCO found and erased (yes), left (no)"},
    )
    outcome = fields.String(required=True, validate=_one_of(Outcome))
    claimed_level = fields.String(
        allow_none=True,
        load_default=None,
        validate=_one_of(Level),
        metadata={"description": "the level the tool or operator says it reached"},
    )
    started_at = fields.AwareDateTime(required=True)
    finished_at = fields.AwareDateTime(required=True)
    operator = fields.Nested(OperatorSchema, dump_only=True)
    media = fields.String(dump_only=True)
    level = fields.String(dump_only=True, allow_none=True)
    problems = fields.List(fields.String(), dump_only=True)
    meets_policy = fields.String(dump_only=True, allow_none=True)
    rules_version = fields.String(dump_only=True)
    log_sha256 = fields.String(dump_only=True, allow_none=True)
    log_url = fields.Function(
        _log_url, dump_only=True, metadata={"type": "string", "nullable": True}
    )
    created_at = fields.AwareDateTime(dump_only=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        """Combinations no tool reports: a typing error, not a record."""
        problems: dict[str, list[str]] = {}
        if data["finished_at"] < data["started_at"]:
            problems["finished_at"] = ["must not be before started_at"]
        if data["technique"] == Technique.OVERWRITE and "passes" not in data:
            problems["passes"] = ["say how many passes the overwrite made"]
        verified = data["verification"] != Verification.NONE
        if verified and data["verification_result"] is None:
            problems["verification_result"] = [
                "say whether the verification passed or failed"
            ]
        if not verified and data["verification_result"] is not None:
            problems["verification_result"] = ["there was no verification"]
        if problems:
            raise ValidationError(problems)

    @post_load
    def _one_pass(self, data, **kwargs):
        data.setdefault("passes", 1)
        return data


# The level each media type needs before a device may leave wiping; a media type
# left out of a PUT gets the default (Purge for flash, Clear for HDDs).
ErasurePolicySchema = Schema.from_dict(
    {
        media.value: fields.String(
            validate=_one_of(Level), metadata={"example": level.value}
        )
        for media, level in DEFAULT_POLICY.required.items()
    },
    name="ErasurePolicySchema",
)
