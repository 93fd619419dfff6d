"""The records the workflow's guards check: erasures and quality checks.

`after_event_id` ties a record to the device's history: it is the id of the
device's latest event when the record was made, so a guard can tell whether an
erasure belongs to the current wipe cycle without trusting clocks.
"""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class ErasureRecord(db.Model):
    """One disk's erasure (or destruction), in NIST SP 800-88 terms."""

    __tablename__ = "erasure_records"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    disk_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disks.id"), index=True)
    after_event_id: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    method: so.Mapped[str] = so.mapped_column(sa.String(10))  # clear, purge, destroy
    technique: so.Mapped[str] = so.mapped_column(sa.String(40))
    tool: so.Mapped[str] = so.mapped_column(sa.String(80))
    tool_version: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    verification: so.Mapped[str] = so.mapped_column(
        sa.String(10)
    )  # none, sampled, full
    result: so.Mapped[str] = so.mapped_column(sa.String(10))  # passed, failed
    started_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    finished_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    log_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)


class QcRecord(db.Model):
    """One quality check: each checklist item's result and the cosmetic grade."""

    __tablename__ = "qc_records"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    after_event_id: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    items: so.Mapped[dict] = so.mapped_column(sa.JSON)  # item -> pass | fail | na
    grade: so.Mapped[str | None] = so.mapped_column(sa.String(1))  # A, B, C
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    tester_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
