"""Quality checks as sent by a tester and shown afterwards; the checklists for forms.

One shape for a desk client and a web form alike: each item is an object
`{"result": "pass" | "fail" | "na", "note": "..."}`, the note optional.
"""

from marshmallow import Schema
from marshmallow import fields
from marshmallow import pre_dump
from marshmallow import validate

from assettrack.schemas.common import Text
from assettrack.workflow import checklist
from assettrack.workflow import lendability


class ItemResultSchema(Schema):
    result = fields.String(required=True, validate=validate.OneOf(checklist.RESULTS))
    note = Text(load_default="", max_length=500)


class LendabilityReasonSchema(Schema):
    rule = fields.String(metadata={"description": "stable id of the rule that fired"})
    text = fields.String()
    limit = fields.String(
        allow_none=True,
        metadata={
            "description": "the best class this fact allows; null: for information"
        },
    )


class QcSchema(Schema):
    """One quality check; `items` may be partial: a tester can save halfway."""

    id = fields.Integer(dump_only=True)
    template = fields.String(
        dump_only=True, metadata={"description": "e.g. laptop@2026.11"}
    )
    items = fields.Dict(
        keys=Text(max_length=40),
        values=fields.Nested(ItemResultSchema),
        required=True,
        validate=validate.Length(min=1, max=50),
    )
    grade = fields.String(
        validate=validate.OneOf(list(checklist.GRADES)),
        allow_none=True,
        load_default=None,
        metadata={"description": "cosmetic grade A, B or C; needed to pass"},
    )
    notes = Text(load_default="", max_length=2000)
    lendability = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"enum": list(lendability.CLASSES)},
    )
    lendability_reasons = fields.List(
        fields.Nested(LendabilityReasonSchema), dump_only=True
    )
    rules_version = fields.String(dump_only=True)
    tester = fields.String(dump_only=True, allow_none=True)
    created_at = fields.AwareDateTime(dump_only=True)

    @pre_dump
    def _shown(self, record, **kwargs):
        """The stored record (results and notes apart) in the shape it was sent."""
        notes = record.item_notes or {}
        return {
            "id": record.id,
            "template": record.template,
            "items": {
                key: {"result": result, "note": notes.get(key, "")}
                for key, result in record.items.items()
            },
            "grade": record.grade,
            "notes": record.notes,
            "lendability": record.lendability,
            "lendability_reasons": record.lendability_reasons,
            "rules_version": record.rules_version,
            "tester": record.tester.email if record.tester else None,
            "created_at": record.created_at,
        }


class ChecklistItemSchema(Schema):
    key = fields.String()
    label = fields.String(metadata={"description": "English; pages translate it"})
    check = fields.String(metadata={"description": "what the tester looks for"})
    mandatory = fields.Boolean(metadata={"description": "must pass to lend"})
    blocker = fields.Boolean(
        metadata={"description": "a lock: pass means absent or removed; never na"}
    )
    na_allowed = fields.Boolean()
    blocked = fields.String(
        metadata={"description": "a blocker: what it means when it did not pass"}
    )


class GradeSchema(Schema):
    grade = fields.String()
    description = fields.String()


class QcTemplateSchema(Schema):
    """A checklist and what a form needs with it: the results and grades."""

    name = fields.String(metadata={"description": "e.g. laptop@2026.11"})
    kind = fields.String()
    version = fields.String()
    device_kinds = fields.List(
        fields.String(), metadata={"description": "device kinds checked with it"}
    )
    items = fields.List(fields.Nested(ChecklistItemSchema))
    results = fields.List(fields.String())
    grades = fields.List(fields.Nested(GradeSchema))

    @pre_dump
    def _with_form(self, template, **kwargs):
        return {
            "name": template.name,
            "kind": template.kind,
            "version": template.version,
            "device_kinds": [
                device_kind
                for device_kind, kind in checklist.TEMPLATE_OF_KIND.items()
                if kind == template.kind
            ],
            "items": template.items,
            "results": list(checklist.RESULTS),
            "grades": [
                {"grade": grade, "description": text}
                for grade, text in checklist.GRADES.items()
            ],
        }


class LendabilityClassSchema(Schema):
    name = fields.String()
    description = fields.String()


class QcTemplatesSchema(Schema):
    """Every current checklist, and the lendability classes a check leads to."""

    templates = fields.List(fields.Nested(QcTemplateSchema))
    lendability_classes = fields.List(fields.Nested(LendabilityClassSchema))
    rules_version = fields.String()

    @pre_dump
    def _all(self, _, **kwargs):
        return {
            "templates": list(checklist.CURRENT.values()),
            "lendability_classes": [
                {"name": name, "description": text}
                for name, text in lendability.CLASSES.items()
            ],
            "rules_version": lendability.RULES_VERSION,
        }
