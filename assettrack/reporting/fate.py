"""What became of each device a donor gave: the answer a donor asks for.

Each device's story is read from its events; the erasure certificates are the
ones issued for the device, and the batch certificates that name it.
"""

import json
from collections import Counter
from collections import defaultdict

import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Certificate
from assettrack.models import Device
from assettrack.models import Donation
from assettrack.models import WorkflowEvent
from assettrack.reporting.figures import STATES
from assettrack.workflow.states import INTAKE


def fate(donation: Donation) -> dict:
    devices = list(
        db.session.scalars(
            sa.select(Device)
            .where(Device.donation_id == donation.id)
            .order_by(Device.asset_tag)
        )
    )
    events = defaultdict(list)
    in_batch = sa.select(Device.id).where(Device.donation_id == donation.id)
    for event in db.session.scalars(
        sa.select(WorkflowEvent)
        .where(WorkflowEvent.device_id.in_(in_batch))
        .order_by(WorkflowEvent.id)
    ):
        events[event.device_id].append(event)
    certificates, batch = _certificates(donation, devices)
    stories = [
        _story(device, events[device.id], certificates[device.asset_tag])
        for device in devices
    ]
    now = Counter(story["state"] for story in stories)
    return {
        "donation": donation.id,
        "donor": donation.donor.name,
        "received_on": donation.received_on,
        "devices": stories,
        "states": {state: now.get(state, 0) for state in STATES},
        "batch_certificates": batch,
    }


def _first(events, action):
    return next((e.at for e in events if e.action == action), None)


def _story(device: Device, events: list[WorkflowEvent], numbers: list) -> dict:
    last = events[-1] if events else None
    return {
        "asset_tag": device.asset_tag,
        "kind": device.kind,
        "make": device.make,
        "model": device.model,
        "state": last.to_state if last else None,
        "last_action": last.action if last else None,
        "last_at": last.at if last else None,
        "registered_at": _first(events, INTAKE),
        "first_ready_at": _first(events, "pass_qc"),
        "wiped": sum(e.action == "finish_wipe" for e in events),
        "times_lent": sum(e.action == "lend" for e in events),
        "certificates": sorted(numbers),
    }


def _certificates(
    donation: Donation, devices: list[Device]
) -> tuple[dict[str, list[str]], list[str]]:
    """Certificate numbers per asset tag, and the batch's own numbers."""
    found: dict[str, list[str]] = defaultdict(list)
    batch: list[str] = []
    by_id = {device.id: device.asset_tag for device in devices}
    for number, device_id in db.session.execute(
        sa.select(Certificate.number, Certificate.device_id).where(
            Certificate.scope == "device",
            Certificate.device_id.in_(
                sa.select(Device.id).where(Device.donation_id == donation.id)
            ),
        )
    ):
        found[by_id[device_id]].append(number)
    for number, payload in db.session.execute(
        sa.select(Certificate.number, Certificate.payload)
        .where(Certificate.scope == "batch", Certificate.donation_id == donation.id)
        .order_by(Certificate.id)
    ):
        batch.append(number)
        tags = set(by_id.values())
        for named in json.loads(payload).get("devices", []):
            if named.get("tag") in tags:
                found[named["tag"]].append(number)
    return found, batch
