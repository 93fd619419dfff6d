"""Taking in one health report: stored once, findings computed here, never trusted.

The agent sends raw values; `health.findings` decides what they mean, with the
service's clock and what the service knows of the device (its kind, the disks
its latest wipe erased, its previous report). A report id already stored for
the device answers what was answered then and stores nothing.
"""

from dataclasses import asdict
from datetime import UTC
from datetime import datetime
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from assettrack import jobs
from assettrack.agents import health
from assettrack.agents.server import repair_queue
from assettrack.agents.server.enrolment import Reporter
from assettrack.extensions import db
from assettrack.models import Disk
from assettrack.models import ErasureRecord
from assettrack.models import HealthReport
from assettrack.models import WorkflowEvent
from assettrack.models.types import utcnow


def answer(report) -> dict:
    """What the agent is told: the findings (a stored row or the values just stored)."""
    return {
        "report_id": report.report_id,
        "received_at": report.received_at,
        "findings": report.findings,
        "rules_version": report.rules_version,
        "report_interval_s": current_app.config["AGENT_REPORT_INTERVAL_S"],
    }


def stored(device_id: int, report_id: str) -> HealthReport | None:
    return db.session.scalar(
        sa.select(HealthReport).where(
            HealthReport.device_id == device_id, HealthReport.report_id == report_id
        )
    )


def take_in(reporter: Reporter, data: dict, raw: dict) -> tuple[dict, bool]:
    """Store the report (once) and have the device ranked again; (answer, new?).

    The insert itself finds a report already stored (ON CONFLICT DO NOTHING),
    even one sent twice at the same moment: no read before it.
    """
    device_id, report_id = reporter.device_id, str(data["report_id"])
    received_at = utcnow()
    context = health.Context(
        received_at=received_at,
        erased_serials=erased_serials(device_id),
        kind=reporter.kind,
        previous=_previous_body(device_id),
    )
    report = SimpleNamespace(
        device_id=device_id,
        report_id=report_id,
        seq=data.get("seq"),
        collected_at=_utc(data["collected_at"]),
        sent_at=_utc(data["sent_at"]) if data.get("sent_at") else None,
        received_at=received_at,
        agent_version=data["agent_version"],
        body=raw,
        findings=[asdict(finding) for finding in health.findings(raw, context)],
        rules_version=health.RULES_VERSION,
    )
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    inserted = db.session.execute(
        dialect.insert(HealthReport)
        .values(vars(report))
        .on_conflict_do_nothing(index_elements=["device_id", "report_id"])
        .returning(HealthReport.id)
    ).scalar()
    if inserted is None:  # stored before: answer as then
        db.session.rollback()
        return answer(stored(device_id, report_id)), False
    report.id = inserted
    # Ranking is a background job; without Redis it joins this transaction.
    queued = jobs.queue() is not None
    if not queued:
        repair_queue.rank_now(report)
    db.session.commit()
    if queued:
        repair_queue.rank_later(device_id)
    return answer(report), True


def erased_serials(device_id: int) -> frozenset[str] | None:
    """Serials of the disks erased since the device's latest `start_wipe`.

    None when the device was never wiped or no erased disk has a serial: then
    there is nothing to compare a reported disk with.
    """
    wipe_started = (
        sa.select(sa.func.max(WorkflowEvent.id))
        .where(
            WorkflowEvent.device_id == device_id,
            WorkflowEvent.action == "start_wipe",
        )
        .scalar_subquery()
    )
    serials = db.session.scalars(
        sa.select(Disk.serial)
        .join(ErasureRecord, ErasureRecord.disk_id == Disk.id)
        .where(
            ErasureRecord.device_id == device_id,
            ErasureRecord.outcome == "erased",
            ErasureRecord.after_event_id >= wipe_started,
        )
    )
    found = frozenset(s.strip().upper() for s in serials if s and s.strip())
    return found or None


def _previous_body(device_id: int) -> dict | None:
    return db.session.scalar(
        sa.select(HealthReport.body)
        .where(HealthReport.device_id == device_id)
        .order_by(HealthReport.seq.desc(), HealthReport.id.desc())
        .limit(1)
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
