"""Borrowers and loans: the least personal data lending needs."""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import validate

from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import Text


class BorrowerSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = Text(
        required=True,
        max_length=20,
        validate=validate.Regexp(r"^[A-Za-z0-9-]{1,20}$"),
        metadata={"description": "the borrower's card number, e.g. B-0042"},
    )
    display_name = Text(required=True, min_length=1, max_length=120)
    contact = Text(load_default="", max_length=200)


class LoanSchema(Schema):
    id = fields.Integer()
    device = fields.Function(lambda loan: loan.device.asset_tag)
    borrower = fields.Function(lambda loan: loan.borrower.code)
    location = fields.Integer(attribute="location_id")
    lent_at = fields.AwareDateTime()
    due_on = fields.Date()
    renewals = fields.Integer()
    closed_at = fields.AwareDateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    overdue = fields.Boolean()


class LoanQuery(PageQuery):
    overdue = fields.Boolean()
    open = fields.Boolean()
