"""Background work the caller polls: its progress and, when done, its result."""

import uuid
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class BackgroundJob(db.Model):
    """One job, kept in the database so any service process can answer a poll.

    The result lives here too (a label sheet is a few hundred kB): rq workers and
    service processes on different machines share the database, not a disk.
    """

    __tablename__ = "background_jobs"

    id: so.Mapped[str] = so.mapped_column(
        sa.String(36), primary_key=True, default=lambda: str(uuid.uuid4())
    )
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    params: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    status: so.Mapped[str] = so.mapped_column(sa.String(10), default="queued")
    done: so.Mapped[int] = so.mapped_column(default=0)
    total: so.Mapped[int] = so.mapped_column(default=0)
    error: so.Mapped[str | None] = so.mapped_column(sa.Text)
    result: so.Mapped[bytes | None] = so.mapped_column(sa.LargeBinary, deferred=True)
    result_type: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    requested_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    finished_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
