"""Stock-takes: a room counted by scanning every label in it."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.org import Location
from assettrack.models.org import User
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class StockTake(db.Model):
    """One count of one place. Closed, it takes no more scans.

    `lists` keeps the result's lists as they stood when it was closed (missing devices
    are not changed by a stock-take; a coordinator follows them up from here).
    """

    __tablename__ = "stock_takes"
    __table_args__ = (
        # One open count per place, even when two people start at once.
        sa.Index(
            "ix_stock_takes_open_per_location",
            "location_id",
            unique=True,
            sqlite_where=sa.text("closed_at IS NULL"),
            postgresql_where=sa.text("closed_at IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    location_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("locations.id"), index=True
    )
    started_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    started_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    closed_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    # When the corrections were last recorded (None: never).
    corrected_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    lists: so.Mapped[dict | None] = so.mapped_column(sa.JSON)

    location: so.Mapped[Location] = so.relationship(lazy="joined")
    started_by: so.Mapped[User] = so.relationship(lazy="joined")


class StockTakeScan(db.Model):
    """One label scanned during a stock-take; a device counts once per stock-take.

    `code` is the canonical tag when the text was one, else the text as typed
    (shortened); `device_id` is None when no device has it.
    """

    __tablename__ = "stock_take_scans"
    __table_args__ = (sa.UniqueConstraint("stock_take_id", "device_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    stock_take_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("stock_takes.id"), index=True
    )
    code: so.Mapped[str] = so.mapped_column(sa.String(80))
    device_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    scanned_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    scanned_by_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
