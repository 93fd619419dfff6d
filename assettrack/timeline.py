"""A device's story as one list: its events, with its erasure and QC records between.

A record sits after the event that was the device's latest when it was made
(`after_event_id`), so the order is the history's, not the clocks'.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from assettrack.devices import history_for
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import ErasureRecord
from assettrack.models import QcRecord
from assettrack.models import User
from assettrack.models import WorkflowEvent


@dataclass(frozen=True)
class Entry:
    kind: str  # event, erasure, qc
    at: datetime
    actor: User | None
    item: object  # the WorkflowEvent (as `user` may see it) or the record
    position: tuple[int, int, int]


def timeline(device: Device, user: User, newest_first: bool = True) -> list[Entry]:
    """Everything that happened to `device`, as `user` may see it."""
    events = db.session.scalars(
        sa.select(WorkflowEvent)
        .where(WorkflowEvent.device_id == device.id)
        .order_by(WorkflowEvent.id)
    ).all()
    entries = [
        Entry("event", e.at, e.actor, e, (e.id, 0, 0))
        for e in history_for(list(events), user)
    ]
    erasures = db.session.scalars(
        sa.select(ErasureRecord).where(ErasureRecord.device_id == device.id)
    )
    entries += [
        Entry("erasure", r.created_at, r.operator, r, (r.after_event_id, 1, r.id))
        for r in erasures
    ]
    checks = db.session.scalars(
        sa.select(QcRecord).where(QcRecord.device_id == device.id)
    )
    entries += [
        Entry("qc", r.created_at, _user(r.tester_id), r, (r.after_event_id, 2, r.id))
        for r in checks
    ]
    return sorted(entries, key=lambda e: e.position, reverse=newest_first)


def _user(user_id: int) -> User | None:
    return db.session.get(User, user_id)  # the identity map answers repeats
