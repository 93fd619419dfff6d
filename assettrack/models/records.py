"""The records the workflow's guards check: erasures and quality checks.

`after_event_id` ties a record to the device's history: it is the id of the
device's latest event when the record was made, so a guard can tell whether an
erasure belongs to the current wipe cycle without trusting clocks.
"""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.device import Disk
from assettrack.models.org import User
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class ErasureRecord(db.Model):
    """One disk's erasure (or destruction), as the operator recorded it.

    `level` and `problems` are what `workflow.erasure.classify` made of it when it
    was recorded (under `rules_version`): the level the media and technique really
    reach, not what the tool claims (`claimed_level`).
    """

    __tablename__ = "erasure_records"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    disk_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("disks.id"), index=True)
    after_event_id: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    media: so.Mapped[str] = so.mapped_column(sa.String(10))  # workflow.erasure.Media
    technique: so.Mapped[str] = so.mapped_column(sa.String(40))
    passes: so.Mapped[int] = so.mapped_column(default=1)
    tool: so.Mapped[str] = so.mapped_column(sa.String(80))
    tool_version: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    verification: so.Mapped[str] = so.mapped_column(sa.String(10))  # none/sampled/full
    verification_result: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    hidden_areas: so.Mapped[str] = so.mapped_column(
        sa.String(12), default="not_checked"
    )
    outcome: so.Mapped[str] = so.mapped_column(sa.String(10))  # erased, failed, aborted
    claimed_level: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    level: so.Mapped[str | None] = so.mapped_column(sa.String(10))
    problems: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    rules_version: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    started_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    finished_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    operator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    log_sha256: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)

    disk: so.Mapped[Disk] = so.relationship(lazy="joined")
    operator: so.Mapped[User] = so.relationship(lazy="joined")


class ErasureLog(db.Model):
    """The wipe tool's own log or report, kept byte for byte beside its record."""

    __tablename__ = "erasure_logs"

    erasure_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("erasure_records.id"), primary_key=True
    )
    filename: so.Mapped[str] = so.mapped_column(sa.String(200))
    media_type: so.Mapped[str] = so.mapped_column(sa.String(100))
    content: so.Mapped[bytes] = so.mapped_column(sa.LargeBinary)
    sha256: so.Mapped[str] = so.mapped_column(sa.String(64))


class QcRecord(db.Model):
    """One quality check against a template, and the lendability it led to.

    `lendability` and its `reasons` are what `workflow.lendability` derived when
    the check was recorded, under `rules_version`.
    """

    __tablename__ = "qc_records"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    after_event_id: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    template: so.Mapped[str] = so.mapped_column(sa.String(40), default="")
    items: so.Mapped[dict] = so.mapped_column(sa.JSON)  # item -> pass | fail | na
    item_notes: so.Mapped[dict] = so.mapped_column(sa.JSON, default=dict)
    grade: so.Mapped[str | None] = so.mapped_column(sa.String(1))  # A, B, C
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    lendability: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    lendability_reasons: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    rules_version: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    tester_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)

    tester: so.Mapped[User] = so.relationship(lazy="joined")
