"""The append-only history every report and every guard is derived from."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class WorkflowEvent(db.Model):
    """One accepted lifecycle action. Never updated, never deleted.

    The database refuses UPDATE and DELETE on this table (triggers in the first
    migration), and so does the ORM (see `_refuse_change` below).
    """

    __tablename__ = "workflow_events"
    __table_args__ = (
        sa.Index("ix_workflow_events_device_action", "device_id", "action"),
        # Figures and charts per period count one action over a time range.
        sa.Index("ix_workflow_events_action_at", "action", "at"),
        # A device's events in order, with what the time in each state reads
        # (reporting/time_in_state.py): an index-only scan on PostgreSQL.
        sa.Index(
            "ix_workflow_events_device_id",
            "device_id",
            "id",
            postgresql_include=["at", "from_state", "to_state"],
        ),
    )

    # BIGINT on PostgreSQL; SQLite needs INTEGER for its rowid autoincrement.
    id: so.Mapped[int] = so.mapped_column(
        sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True
    )
    device_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("devices.id"))
    action: so.Mapped[str] = so.mapped_column(sa.String(20))
    from_state: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    to_state: so.Mapped[str] = so.mapped_column(sa.String(20))
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    location_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("locations.id"))
    at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    payload: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)

    actor = so.relationship("User", lazy="joined")


@sa.event.listens_for(WorkflowEvent, "before_update")
@sa.event.listens_for(WorkflowEvent, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("workflow events are append-only")
