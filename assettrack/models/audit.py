"""Who changed what outside the workflow: people, tokens, places, policies."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class AuditEntry(db.Model):
    """One change to an audited row, written in the transaction that made it.

    `actor_id` is None for the command line (`actor` then names it).
    """

    __tablename__ = "audit_entries"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow, index=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    actor: so.Mapped[str] = so.mapped_column(sa.String(254))
    action: so.Mapped[str] = so.mapped_column(sa.String(40))  # e.g. location.create
    subject: so.Mapped[str] = so.mapped_column(sa.String(200))
    changes: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
