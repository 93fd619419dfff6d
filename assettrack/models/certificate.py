"""Issued erasure certificates: what was signed, kept exactly as signed."""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class CertificateCounter(db.Model):
    """The last certificate sequence used per year; numbers are never reused."""

    __tablename__ = "certificate_counters"

    year: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    last_sequence: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class Certificate(db.Model):
    """One signed certificate, for a device or a donation batch.

    `payload` is the exact canonical JSON that was signed and embedded in the
    PDF; `covers` is a digest of the erasure records it states, so asking again
    with nothing changed gives the same certificate, and a new wipe a new one.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        # One certificate per statement: two requests at once cannot issue two.
        sa.Index(
            "uq_certificates_statement",
            "scope",
            sa.func.coalesce(sa.column("device_id"), sa.column("donation_id")),
            "covers",
            "language",
            unique=True,
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    number: so.Mapped[str] = so.mapped_column(sa.String(24), unique=True)
    scope: so.Mapped[str] = so.mapped_column(sa.String(10))  # device, batch
    device_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    donation_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("donations.id"), index=True
    )
    covers: so.Mapped[str] = so.mapped_column(sa.String(64), index=True)
    language: so.Mapped[str] = so.mapped_column(sa.String(5))
    payload: so.Mapped[str] = so.mapped_column(sa.Text)
    signature: so.Mapped[str] = so.mapped_column(sa.String(120))
    key_id: so.Mapped[str] = so.mapped_column(sa.String(64))
    pdf: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    issued_by_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    issued_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
