"""Field types and pagination shared by every schema."""

import re

from marshmallow import Schema
from marshmallow import ValidationError
from marshmallow import fields
from marshmallow import validate

# PostgreSQL refuses NUL in text, and no person types control characters.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A lone surrogate ("\ud800" in JSON) parses, but no database can store it.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_ID = 2**31 - 1


class Text(fields.String):
    """A trimmed single string of bounded length without control characters."""

    def __init__(self, *, max_length: int = 200, min_length: int = 0, **kwargs):
        kwargs.setdefault("validate", validate.Length(min=min_length, max=max_length))
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if _CONTROL.search(text):
            raise ValidationError("must not contain control characters")
        if _SURROGATE.search(text):
            raise ValidationError("must be valid Unicode text (no lone surrogates)")
        return text


def Id(*, strict: bool = True, **kwargs) -> fields.Integer:  # noqa: N802 - reads as a field type
    """A database id: a positive integer that fits the column.

    Strict in JSON bodies (1, not "1"); a query string holds only text, so
    query schemas pass `strict=False`.
    """
    return fields.Integer(strict=strict, validate=validate.Range(1, MAX_ID), **kwargs)


class PageQuery(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(1, 1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(1, 500))


class PageSchema(Schema):
    """The envelope of every list (API.md): items, page, per_page, total."""

    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """A page envelope schema whose items are `item_schema`, named for OpenAPI."""
    name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item_schema))})


class NoFieldsSchema(Schema):
    """The body of an action that takes no fields: nothing, or `{}`."""
