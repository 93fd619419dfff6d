"""Borrowers, loans and loan agreements: the least personal data lending needs."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.lending import ID_DOCUMENTS
from assettrack.lending import TARGET_GROUPS
from assettrack.schemas.common import Id
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import Text
from assettrack.schemas.devices import DEVICE_KINDS


class BorrowerSchema(Schema):
    """A borrower; name, contact and language come from the identity kept apart.

    They are absent once the borrower is anonymised.
    """

    id = fields.Integer(dump_only=True)
    code = Text(
        max_length=20,
        validate=validate.Regexp(r"^[A-Za-z0-9-]{1,20}$"),
        metadata={"description": "the card number, e.g. B-0042; given if left out"},
    )
    name = Text(required=True, min_length=1, max_length=120, attribute="identity.name")
    contact = Text(
        load_default="",
        max_length=200,
        attribute="identity.contact",
        metadata={"description": "one way to reach them: e-mail or phone"},
    )
    language = fields.String(
        load_default="nl",
        validate=validate.OneOf(["nl", "en", "fr"]),
        attribute="identity.language",
    )
    target_group = fields.String(
        load_default="other", validate=validate.OneOf(TARGET_GROUPS)
    )
    municipality = Text(load_default="", max_length=80)
    postcode = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(\d{4})?$", error="must be 4 digits"),
    )
    id_document = fields.String(
        load_default="none",
        validate=validate.OneOf(ID_DOCUMENTS),
        metadata={"description": "which kind of ID was seen; never its number"},
    )
    location = Id(
        allow_none=True,
        attribute="location_id",
        metadata={"description": "the lending point that registered them"},
    )
    created_at = fields.AwareDateTime(dump_only=True)


class BorrowerQuery(PageQuery):
    q = Text(max_length=120, metadata={"description": "card number or part of a name"})


class LoanSchema(Schema):
    id = fields.Integer()
    device = fields.Function(lambda loan: loan.device.asset_tag)
    borrower = fields.Function(lambda loan: loan.borrower and loan.borrower.code)
    location = fields.Integer(attribute="location_id")
    lent_at = fields.AwareDateTime()
    due_on = fields.Date()
    renewals = fields.Integer()
    closed_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    overdue = fields.Boolean()
    accessories_out = fields.List(fields.String())
    accessories_back = fields.List(fields.String(), allow_none=True)
    condition_note = fields.String()
    agreement_sha256 = fields.String()


class LoanQuery(PageQuery):
    overdue = fields.Boolean()
    open = fields.Boolean()


class LoanAgreementSchema(Schema):
    id = fields.Integer(dump_only=True)
    organisation = Id(
        attribute="organisation_id",
        metadata={"description": "default: your own organisation"},
    )
    version = fields.Integer(dump_only=True)
    text = Text(required=True, min_length=1, max_length=50_000)
    sha256 = fields.String(dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class LoanPolicySchema(Schema):
    """How long and how often a device may be lent: per lending point and kind.

    No location: every lending point; no kind: every kind. The most specific row
    that fits a device applies.
    """

    id = fields.Integer(dump_only=True)
    location = Id(attribute="location_id", allow_none=True, load_default=None)
    device_kind = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(DEVICE_KINDS)
    )
    loan_days = fields.Integer(required=True, validate=validate.Range(1, 366))
    renewal_days = fields.Integer(required=True, validate=validate.Range(1, 366))
    max_renewals = fields.Integer(required=True, validate=validate.Range(0, 20))
    max_open_loans = fields.Integer(required=True, validate=validate.Range(1, 20))


class LoanPolicyListSchema(Schema):
    items = fields.List(fields.Nested(LoanPolicySchema))
    default = fields.Nested(LoanPolicySchema, metadata={"description": "with no row"})
