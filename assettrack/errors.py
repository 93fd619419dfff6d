"""One error shape for every failure under /api/ (API.md, Conventions).

`{"error": {"code": ..., "message": ..., "details": {...}}}` with the fitting status;
no request, however malformed, gets an HTML page or a bare 500.
"""

import logging

import sqlalchemy as sa
from flask import Flask
from flask import jsonify
from flask import render_template
from flask import request
from flask_babel import gettext
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from assettrack import workflow
from assettrack.problems import Conflict
from assettrack.problems import Refusal
from assettrack.tagging import TagError

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "bad_request",
    422: "validation_error",
    429: "rate_limited",
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str | None = None, **details):
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or _CODES.get(status, "error")
        self.details = details


def error_response(status: int, code: str, message: str, details: dict | None = None):
    body = {"error": {"code": code, "message": message, "details": details or {}}}
    return jsonify(body), status


def _api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.details)


def _validation_error(exc: ValidationError):
    fields = exc.messages if isinstance(exc.messages, dict) else {"_body": exc.messages}
    return error_response(
        422, "validation_error", "the request has invalid fields", {"fields": fields}
    )


def _refused(exc: workflow.Refused):
    details = {
        "state": exc.state.value,
        "action": exc.action,
        "allowed": exc.allowed,
        "reason": "; ".join(exc.reasons),
        "reasons": exc.reasons,
    }
    return error_response(409, "illegal_transition", str(exc), details)


def _invalid_payload(exc: workflow.InvalidPayload):
    return error_response(
        422,
        "validation_error",
        "the action's payload is not acceptable",
        {"fields": exc.fields},
    )


def _refusal(exc: Refusal):
    if exc.status == 409:
        return error_response(409, "conflict", str(exc))
    if exc.status == 503:  # a service it needs is away (the job queue)
        body, status = error_response(503, "unavailable", str(exc))
        return body, status, {"Retry-After": str(RETRY_AFTER_S)}
    return error_response(
        exc.status, "validation_error", str(exc), {"fields": {exc.field: [str(exc)]}}
    )


def _http_error(exc: HTTPException):
    status = exc.code or 500
    if request.path != "/api" and not request.path.startswith("/api/"):
        return exc
    body, status = error_response(
        status, _CODES.get(status, "error"), exc.description or exc.name
    )
    # Keep what the exception says beside its page, e.g. a 405's Allow header.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    return body, status, headers


RETRY_AFTER_S = 10


def _database_unreachable(exc: sa.exc.DBAPIError):
    """The database went away (or cannot be written): 503, and nothing half-done.

    The transaction is rolled back, so whatever the request had written so far
    is gone with it; the pool checks connections before use (`pool_pre_ping`),
    so the next request reconnects once the database is back.
    """
    from assettrack.extensions import db

    log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
    try:
        db.session.rollback()
    except sa.exc.DBAPIError:
        pass  # the connection is gone; the pool discards it
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    if request.path == "/api" or request.path.startswith("/api/"):
        body, status = error_response(
            503,
            "unavailable",
            "the database cannot be reached; nothing was changed, try again in a"
            " moment",
        )
        return body, status, headers
    page = render_template(
        "errors.html",
        title=gettext("The service is not available"),
        message=gettext("Nothing was changed. Try again in a moment."),
    )
    return page, 503, headers


def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(
        500, "internal_error", "something went wrong on our side; nothing was changed"
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(ValidationError, _validation_error)
    app.register_error_handler(workflow.Refused, _refused)
    app.register_error_handler(workflow.InvalidPayload, _invalid_payload)
    app.register_error_handler(
        workflow.UnknownAction, lambda e: error_response(404, "not_found", str(e))
    )
    app.register_error_handler(
        workflow.NotPermitted, lambda e: error_response(403, "forbidden", str(e))
    )
    app.register_error_handler(
        Conflict,
        lambda e: error_response(
            409,
            "conflict",
            "someone else changed this device first; nothing was changed,"
            " reload and try again",
        ),
    )
    app.register_error_handler(
        TagError,
        lambda e: error_response(404, "not_found", str(e), {"tag_problem": e.code}),
    )
    app.register_error_handler(Refusal, _refusal)
    # A lost connection, a database that cannot be opened or written. (Locks and
    # serialisation failures never get here: `lifecycle.commit` makes them 409.)
    app.register_error_handler(sa.exc.OperationalError, _database_unreachable)
    app.register_error_handler(sa.exc.InterfaceError, _database_unreachable)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
