"""`GET /api/v1/openapi.json`, generated from the schemas the views validate with."""

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app

from assettrack import __version__
from assettrack.api import bp
from assettrack.schemas.actions import PAYLOADS
from assettrack.schemas.actions import NoteSchema
from assettrack.workflow import ACTIONS

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}


def _json(schema) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _schema_name(schema) -> str:
    """A component name per schema; a list's slimmer item view gets its own name.

    apispec's default gives the same name to a schema with fields left out and
    warns; "Device" and "DeviceSummary" say what each is.
    """
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema")
    if not isinstance(schema, type) and (schema.only or schema.exclude):
        name += "Summary"
    return name


def _action_payload() -> dict:
    """The body of POST .../actions/{action}: the payload of the action in the path."""
    schemas = [PAYLOADS[name] for name in sorted(PAYLOADS)] + [NoteSchema]
    return {"required": False, **_json({"anyOf": schemas})}


# Answers that say when to try again (ratelimit.py, errors.py), on every operation.
WAIT = {
    "429": "too many requests from this token, address or device",
    "503": "the database cannot be reached for now",
}
RETRY_AFTER = {
    "description": "seconds to wait before trying again",
    "schema": {"type": "integer", "minimum": 1},
}


def _operation(view, methods_rule) -> dict:
    declared = getattr(view, "openapi", {})
    doc = (view.__doc__ or view.__name__.replace("_", " ")).strip().splitlines()[0]
    operation: dict = {"summary": doc, "operationId": view.__name__, "responses": {}}
    if "query" in declared:
        operation["parameters"] = [{"in": "query", "schema": declared["query"]}]
    if "body_multipart" in declared:
        name = declared["body_multipart"]
        upload = {"type": "string", "format": "binary"}
        form = {"type": "object", "properties": {name: upload}, "required": [name]}
        operation["requestBody"] = {
            "required": True,
            "content": {"multipart/form-data": {"schema": form}},
        }
    if "body" in declared:
        multipart = operation.get("requestBody", {}).get("content", {})
        operation["requestBody"] = {
            "required": not declared.get("body_optional"),
            **_json(declared["body"]),
        }
        if multipart:  # the same fields as a form, with the file beside them
            form = multipart["multipart/form-data"]["schema"]
            form.pop("required")
            operation["requestBody"]["content"]["multipart/form-data"] = {
                "schema": {"allOf": [declared["body"], form]}
            }
    if "response" in declared:
        status = str(declared.get("status", 200))
        operation["responses"][status] = {
            "description": "success",
            **_json(declared["response"]),
        }
    else:
        operation["responses"]["200"] = {"description": "success"}
    roles = getattr(view, "required_roles", None)
    if roles is not None:
        operation["security"] = [{"bearer": []}]
        if roles:
            operation["description"] = "Roles: admin, " + ", ".join(roles) + "."
    error = _json({"$ref": "#/components/schemas/Error"})
    for status, why in WAIT.items():
        operation["responses"][status] = {
            "description": why,
            "headers": {"Retry-After": RETRY_AFTER},
            **error,
        }
    operation["responses"]["default"] = {"description": "an error", **error}
    return operation


def build_spec(app) -> dict:
    spec = APISpec(
        title="assettrack",
        version=__version__,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", ERROR)
    for name, schema in sorted(PAYLOADS.items()):
        spec.components.schema(f"{name}_payload", schema=schema)
    spec.components.schema("note_payload", schema=NoteSchema)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if (
            not rule.rule.startswith(bp.url_prefix)
            or rule.endpoint == "api.openapi_json"
        ):
            continue
        view = app.view_functions[rule.endpoint]
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        operations = {
            method.lower(): _operation(view, rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        }
        if "action" in rule.arguments and "post" in operations:
            operations["post"]["requestBody"] = _action_payload()
        parameters = [
            {"in": "path", "name": name, "required": True, "schema": _path_type(name)}
            for name in rule.arguments
        ]
        spec.path(path=path, operations=operations, parameters=parameters)
    return spec.to_dict()


def _path_type(name: str) -> dict:
    if name == "action":
        return {"type": "string", "enum": list(ACTIONS)}
    if name.endswith("_id"):
        return {"type": "integer", "minimum": 1}
    return {"type": "string"}


@bp.get("/openapi.json")
def openapi_json():
    """This API's OpenAPI 3 description."""
    spec = current_app.extensions.get("assettrack.openapi")
    if spec is None:
        spec = current_app.extensions["assettrack.openapi"] = build_spec(current_app)
    return spec
