"""The audit trail of changes made outside the workflow (issue 8).

Workflow actions have their events; everything else a person can change that
decides who may do what, or how the digibank works (people, tokens, places,
organisations and their erasure policy, loan policies and agreements), is
written to `audit_entries` by one session hook, in the same transaction as the
change. So no code path can forget it, and a change that is rolled back leaves
no entry. Secrets (password and token hashes) are named, never kept.
"""

from datetime import date
from datetime import datetime
from enum import Enum

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import g
from flask import has_request_context

from assettrack.models import ApiToken
from assettrack.models import LoanAgreement
from assettrack.models import LoanPolicy
from assettrack.models import Location
from assettrack.models import Organisation
from assettrack.models import User
from assettrack.models.audit import AuditEntry

AUDITED = {
    User: "user",
    ApiToken: "token",
    Organisation: "organisation",
    Location: "location",
    LoanPolicy: "loan_policy",
    LoanAgreement: "loan_agreement",
}
SECRETS = {"password_hash", "token_hash"}
COMMAND_LINE = "command line"


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _shown(column: str, value):
    return "(changed)" if column in SECRETS else _plain(value)


def _actor() -> tuple[int | None, str]:
    """Who is acting: the API token's person, the page's, or the command line."""
    if not has_request_context():
        return None, COMMAND_LINE
    user = g.get("user")
    if user is None:
        from flask_login import current_user

        user = current_user if current_user.is_authenticated else None
    return (user.id, user.email) if user is not None else (None, "nobody logged in")


def _subject(kind: str, row) -> str:
    name = getattr(row, "name", None) or getattr(row, "email", None)
    return f"{kind} {row.id}" + (f" {name}" if name else "")


def _changes(row, created: bool) -> dict:
    state = sa.inspect(row)
    found = {}
    for attribute in state.mapper.column_attrs:
        key = attribute.key
        history = state.attrs[key].history
        if created:
            value = getattr(row, key)
            if value is not None and key != "id":
                found[key] = _shown(key, value)
        elif history.has_changes():
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            found[key] = {"from": _shown(key, before), "to": _shown(key, after)}
    return found


def _record(session: so.Session, flush_context) -> None:
    entries = []
    for rows, verb in (
        (session.new, "create"),
        (session.dirty, "change"),
        (session.deleted, "delete"),
    ):
        for row in rows:
            kind = AUDITED.get(type(row))
            if kind is None:
                continue
            changes = {} if verb == "delete" else _changes(row, verb == "create")
            if verb == "change" and not changes:
                continue
            entries.append((f"{kind}.{verb}", _subject(kind, row), changes))
    if entries:
        actor_id, actor = _actor()
        session.add_all(
            AuditEntry(
                actor_id=actor_id,
                actor=actor,
                action=action,
                subject=subject[:200],
                changes=changes,
            )
            for action, subject, changes in entries
        )


def init() -> None:
    """Hook every session (the service's, the command line's, the workers')."""
    if not sa.event.contains(so.Session, "after_flush", _record):
        sa.event.listen(so.Session, "after_flush", _record)
