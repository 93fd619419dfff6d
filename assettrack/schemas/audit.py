"""An entry of the audit trail."""

from marshmallow import Schema
from marshmallow import fields


class AuditEntrySchema(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor = fields.String(metadata={"description": "an e-mail, or 'command line'"})
    action = fields.String(metadata={"description": "e.g. location.create"})
    subject = fields.String()
    changes = fields.Dict(
        metadata={"description": "new values, or {column: {from, to}}; never secrets"}
    )
