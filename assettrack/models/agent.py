"""The device agent's side of the database: enrolment, tokens, reports, ranks.

Codes and tokens are stored as SHA-256 only, like people's API tokens. Reports
are kept whole (the raw values) with the findings the service computed from
them, so findings can be computed again when the rules change.
"""

from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.extensions import db
from assettrack.models.types import UtcDateTime
from assettrack.models.types import utcnow


class EnrollmentCode(db.Model):
    """A one-time, expiring code that lets one agent enrol for one device."""

    __tablename__ = "enrollment_codes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    expires_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    used_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    created_by: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)


class AgentToken(db.Model):
    """The token an enrolled agent reports with; revocable, one device only."""

    __tablename__ = "agent_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), index=True
    )
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)


class HealthReport(db.Model):
    """One report as the agent sent it, and what the service found in it."""

    __tablename__ = "health_reports"
    __table_args__ = (
        sa.UniqueConstraint("device_id", "report_id"),
        # A device's latest report, by its sequence number: read on every report.
        sa.Index("ix_health_reports_device_id_seq", "device_id", "seq"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    device_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("devices.id"))
    report_id: so.Mapped[str] = so.mapped_column(sa.String(36))
    seq: so.Mapped[int | None]
    collected_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime)
    sent_at: so.Mapped[datetime | None] = so.mapped_column(UtcDateTime)
    received_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    agent_version: so.Mapped[str] = so.mapped_column(sa.String(40))
    body: so.Mapped[dict] = so.mapped_column(sa.JSON)
    findings: so.Mapped[list] = so.mapped_column(sa.JSON)
    rules_version: so.Mapped[str] = so.mapped_column(sa.String(40))


class RepairRank(db.Model):
    """Where a device stands in the repair queue, from its latest report."""

    __tablename__ = "repair_ranks"

    device_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("devices.id"), primary_key=True, autoincrement=False
    )
    report_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("health_reports.id"))
    priority: so.Mapped[int | None]  # 0 (do not lend) .. 3; None: nothing found
    health_score: so.Mapped[int]
    category: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    reasons: so.Mapped[list] = so.mapped_column(sa.JSON)
    rules_version: so.Mapped[str] = so.mapped_column(sa.String(40))
    computed_at: so.Mapped[datetime] = so.mapped_column(UtcDateTime, default=utcnow)
    device: so.Mapped["Device"] = so.relationship(lazy="joined")  # noqa: F821
    report: so.Mapped[HealthReport] = so.relationship(lazy="joined")
