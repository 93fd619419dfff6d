"""The desk's call list of overdue loans, and forgetting a borrower."""

from marshmallow import Schema
from marshmallow import fields


class ReminderSchema(Schema):
    stage = fields.String()
    status = fields.String()  # sent, failed (sending: the send was interrupted)
    error = fields.String(allow_none=True)
    sent_at = fields.DateTime()


class CallSchema(Schema):
    loan = fields.Integer()
    borrower = fields.String(metadata={"description": "the borrower's card code"})
    name = fields.String()
    contact = fields.String()
    language = fields.String()
    by_email = fields.Boolean(
        metadata={"description": "false: reminders cannot reach them; call"}
    )
    device = fields.String(metadata={"description": "the device's asset tag"})
    model = fields.String()
    due_on = fields.Date()
    days_overdue = fields.Integer()
    reminders = fields.List(fields.Nested(ReminderSchema))


class CallListSchema(Schema):
    items = fields.List(fields.Nested(CallSchema))


class ForgottenSchema(Schema):
    borrower = fields.String()
    loans = fields.Integer(metadata={"description": "loans kept, anonymised"})
