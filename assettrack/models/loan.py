"""Borrowers (the least personal data lending needs) and their loans."""

from datetime import date
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class Borrower(db.Model):
    """A person known to one lending desk by a card number; no ID numbers kept."""

    __tablename__ = "borrowers"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    organisation_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("organisations.id"), index=True
    )
    display_name: so.Mapped[str] = so.mapped_column(sa.String(120))
    contact: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)


class Loan(db.Model):
    __tablename__ = "loans"
    __table_args__ = (
        # At most one open loan per device, whatever the application does.
        sa.Index(
            "uq_loans_open_device",
            "device_id",
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    borrower_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("borrowers.id"), index=True
    )
    location_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("locations.id"))
    lent_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    due_on: so.Mapped[date] = so.mapped_column(index=True)
    renewals: so.Mapped[int] = so.mapped_column(default=0)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(10))  # returned, lost

    borrower: so.Mapped[Borrower] = so.relationship(lazy="joined")
    device = so.relationship("Device", lazy="joined")

    @property
    def overdue(self) -> bool:
        return self.closed_at is None and self.due_on < date.today()
