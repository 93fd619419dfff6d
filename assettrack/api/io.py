"""Parse requests and render responses with schemas, and describe both for OpenAPI.

A view declares what it reads and answers; these decorators do the reading and
the rendering, and leave the declaration on the view for `api/openapi.py`.
"""

import functools
import json
import re
from dataclasses import dataclass

from flask import request
from marshmallow import Schema
from marshmallow import fields

from assettrack.auth import current_user
from assettrack.devices import device_or_404
from assettrack.errors import ApiError
from assettrack.models import Device


def _spec(view) -> dict:
    if not hasattr(view, "openapi"):
        view.openapi = {}
    return view.openapi


def json_body() -> object:
    """The request's JSON document.

    :raises ApiError: 400 when the body is not JSON.
    """
    if not request.is_json:
        raise ApiError(400, "send a JSON body with Content-Type: application/json")
    raw = request.get_data(cache=True)
    limit = request.max_content_length
    if request.content_length is None and limit is not None and len(raw) >= limit:
        # A streamed (chunked) body is cut off at the limit, not refused: refuse it.
        raise ApiError(413, f"the body is larger than {limit} bytes")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"the body is not valid JSON: {str(exc)[:120]}") from None


def json_object() -> dict:
    """The request's JSON body, which must be an object.

    :raises ApiError: 400 when it is not JSON, 422 when it is not an object.
    """
    document = json_body()
    if not isinstance(document, dict):
        raise ApiError(
            422,
            "the body must be a JSON object",
            fields={"_body": ["must be an object"]},
        )
    return document


def _has_body() -> bool:
    streamed = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    return bool(request.content_length) or streamed or request.is_json


def optional_json_object() -> dict:
    """Like `json_object`, but no body at all counts as `{}`."""
    return json_object() if _has_body() else {}


def found(name: str, finder, into: str):
    """Pass the view `finder(<name from the URL>)` as `into`, found before the
    body is read: another organisation's thing is refused (403 or 404) whatever
    the body says, and a bad body for it tells nothing about it."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            kwargs[into] = finder(kwargs.pop(name))
            return view(*args, **kwargs)

        return wrapper

    return decorate


def reachable_device(tag: str) -> Device:
    """For `found`: the device the URL's tag names, when the caller reaches it."""
    return device_or_404(tag, current_user())


def body(schema: Schema, keep_raw: bool = False, optional: bool = False):
    """Load the JSON body with `schema` and pass it to the view as `data`.

    `keep_raw`: pass the document as sent too, as `raw` (to store it verbatim).
    `optional`: no body at all reads as `{}` (every field has a default).
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            document = optional_json_object() if optional else json_object()
            if keep_raw:
                kwargs["raw"] = document
            return view(*args, data=schema.load(document), **kwargs)

        _spec(wrapper).update(_spec(view), body=schema, body_optional=optional)
        return wrapper

    return decorate


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart body, read into memory (within its limit)."""

    filename: str
    media_type: str
    content: bytes


# Room for the other fields of a multipart body besides its file.
_FORM_ROOM = 256 * 1024
_INTEGER = re.compile(r"^-?[0-9]{1,12}$")


def _form_value(schema: Schema, key: str, value: str) -> object:
    """A form field as JSON would carry it: numbers for integer fields, "" as null."""
    field = schema.load_fields.get(key)
    if isinstance(field, fields.Integer) and _INTEGER.match(value):
        return int(value)
    if value == "" and field is not None and field.allow_none:
        return None
    return value


def _form(schema: Schema, name: str, max_bytes: int) -> tuple[dict, Upload | None]:
    """The fields of a multipart body, and its one file part `name` (if sent).

    :raises ApiError: 413 when the file is over `max_bytes`; 422 for another file
        part, two files or a field given twice.
    """
    request.max_content_length = max_bytes + _FORM_ROOM
    form, files = request.form, request.files
    problems = {key: ["Unknown field."] for key in files if key != name}
    problems |= {key: ["send one value"] for key in form if len(form.getlist(key)) > 1}
    if len(files.getlist(name)) > 1:
        problems[name] = ["send one file"]
    if problems:
        raise ApiError(422, "the request has invalid fields", fields=problems)
    upload = None
    if part := files.get(name):
        content = part.read(max_bytes + 1)
        if len(content) > max_bytes:
            raise ApiError(413, f"the {name} file is larger than {max_bytes} bytes")
        upload = Upload(part.filename or "", part.mimetype or "", content)
    return {key: _form_value(schema, key, form[key]) for key in form}, upload


def body_or_form(schema: Schema, file: str, max_bytes: int):
    """Like `body`, or the same fields as multipart/form-data with a file part.

    The view gets `data` and `upload` (an `Upload`, or None without a file).
    """

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if request.mimetype == "multipart/form-data":
                document, upload = _form(schema, file, max_bytes)
            else:
                document, upload = json_object(), None
            return view(*args, data=schema.load(document), upload=upload, **kwargs)

        _spec(wrapper).update(_spec(view), body=schema, body_multipart=file)
        return wrapper

    return decorate


def query(schema: Schema):
    """Load the query string with `schema` and pass it to the view as `args`."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, args=schema.load(request.args.to_dict()), **kwargs)

        _spec(wrapper).update(_spec(view), query=schema)
        return wrapper

    return decorate


def responds(schema: Schema, status: int = 200):
    """Dump what the view returns with `schema`, answering `status`."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            return schema.dump(view(*args, **kwargs)), status

        _spec(wrapper).update(_spec(view), response=schema, status=status)
        return wrapper

    return decorate


def paginate(select, page: int, per_page: int) -> dict:
    """One page of a SQLAlchemy select, in the API's list envelope."""
    from assettrack.extensions import db

    result = db.paginate(
        select, page=page, per_page=per_page, error_out=False, count=True
    )
    return {
        "items": result.items,
        "page": page,
        "per_page": per_page,
        "total": result.total,
    }
