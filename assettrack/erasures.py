"""Erasure records per disk, the policy they are held to, and taking disks out.

A record states what the operator did; the level it reaches is worked out here
with `workflow.erasure.classify`, from the disk's media (never the client's
word), and stored with the record under `RULES_VERSION`.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

import sqlalchemy as sa
from flask import g

from assettrack import lifecycle
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Disk
from assettrack.models import ErasureLog
from assettrack.models import ErasureRecord
from assettrack.models import Organisation
from assettrack.models import OrganisationKind
from assettrack.models import User
from assettrack.models.types import utcnow
from assettrack.problems import Refusal
from assettrack.workflow import erasure as rules
from assettrack.workflow.erasure import DEFAULT_POLICY
from assettrack.workflow.erasure import Policy

# A tool's log or PDF report; nwipe's PDF with its smartctl page is well under.
LOG_MAX_BYTES = 10 * 1024 * 1024
# A lent device is with its borrower; a scrapped or lost one is gone.
_OUT_OF_REACH = ("lent", "scrapped", "lost")
_MEDIA_TYPE = re.compile(
    r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,60}/[a-z0-9][a-z0-9!#$&^_.+-]{0,60}$"
)


@dataclass(frozen=True)
class ToolLog:
    """The wipe tool's own log or report, as uploaded with the record."""

    filename: str
    media_type: str
    content: bytes


# --- the policy ------------------------------------------------------------------


def _digibank() -> Organisation | None:
    """The coordinating organisation, which sets the policy repair partners work to."""
    return db.session.scalar(
        sa.select(Organisation)
        .where(Organisation.kind == OrganisationKind.coordinator)
        .order_by(Organisation.id)
        .limit(1)
    )


def policy_for(device: Device | None = None) -> Policy:
    """The level each media type needs before it may leave wiping.

    The digibank (the coordinating organisation) sets it; repair partners work
    to it. What it leaves out is `DEFAULT_POLICY`'s: Purge for flash, Clear for
    HDDs. Read once per request (the guards ask for every device shown).
    """
    if "erasure_policy" not in g:
        digibank = _digibank()
        stored = digibank.erasure_policy if digibank else None
        g.erasure_policy = (
            Policy({**DEFAULT_POLICY.required, **stored}) if stored else DEFAULT_POLICY
        )
    return g.erasure_policy


def set_policy(required: dict[str, str]) -> Policy:
    """Replace the digibank's policy with `required` (media -> level); {} resets it.

    :raises Refusal: 409 when there is no coordinating organisation to hold it.
    """
    digibank = _digibank()
    if digibank is None:
        raise Refusal("policy", "there is no coordinating organisation yet", 409)
    try:
        digibank.erasure_policy = {
            str(rules.Media(m)): str(rules.Level(v)) for m, v in required.items()
        }
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    g.pop("erasure_policy", None)
    return policy_for()


def policy_levels(policy: Policy) -> dict[str, str]:
    """The policy as the API shows it: every media type and the level it needs."""
    return {str(media): str(policy.required[media]) for media in rules.Media}


# --- records ---------------------------------------------------------------------


def _disk_of(device: Device, disk_id: int) -> Disk:
    disk = db.session.get(Disk, disk_id)
    if disk is None or disk.device_id != device.id:
        raise Refusal("disk", "this device has no such disk")
    if disk.removed_at is not None:
        raise Refusal(
            "disk",
            f"this disk was taken out of the device on {disk.removed_at:%Y-%m-%d};"
            " it needs no erasure here",
        )
    return disk


def _classify(disk: Disk, data: dict) -> tuple[rules.Media, rules.Classification]:
    media = rules.media_of(disk.kind, disk.interface)
    try:
        record = rules.ErasureRecord(
            media=media,
            technique=data["technique"],
            outcome=data["outcome"],
            passes=data.get("passes", 1),
            verification=data["verification"],
            hidden_areas=data.get("hidden_areas", "not_checked"),
            claimed=data.get("claimed_level"),
            verification_result=data.get("verification_result"),
        )
    except ValueError as exc:  # the schema lets none through; keep the one shape
        raise Refusal("technique", str(exc)) from None
    return media, rules.classify(record)


def _filename(raw: str | None) -> str:
    name = PurePosixPath((raw or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()[:200]
    return name or "erasure-log"


def _media_type(raw: str | None) -> str:
    kind = (raw or "").split(";")[0].strip().lower()
    return kind if _MEDIA_TYPE.match(kind) else "application/octet-stream"


def record_erasure(
    device: Device, data: dict, operator: User, log: ToolLog | None = None
) -> ErasureRecord:
    """Store one disk's erasure, classified, with its tool log; one commit.

    `data` is what `schemas.erasures.ErasureSchema` loads (`disk_id`, technique,
    passes, tool, ...); `log` is kept with its SHA-256, worked out here.

    :raises Refusal: 409 when the device is lent, scrapped or lost; 422 (field
        `disk`) for a disk not in this device or taken out of it, (field `log`)
        for an empty log.
    """
    if device.state in _OUT_OF_REACH:
        raise Refusal("device", f"the device is {device.state}", status=409)
    disk = _disk_of(device, data["disk_id"])
    if log is not None and not log.content:
        raise Refusal("log", "the log file is empty")
    media, judged = _classify(disk, data)
    digest = log and hashlib.sha256(log.content).hexdigest()
    record = ErasureRecord(
        device_id=device.id,
        disk_id=disk.id,
        media=str(media),
        technique=data["technique"],
        passes=data.get("passes", 1),
        tool=data["tool"],
        tool_version=data.get("tool_version", ""),
        verification=data["verification"],
        verification_result=data.get("verification_result"),
        hidden_areas=data.get("hidden_areas", "not_checked"),
        outcome=data["outcome"],
        claimed_level=data.get("claimed_level"),
        level=judged.level and str(judged.level),
        problems=list(judged.problems),
        rules_version=rules.RULES_VERSION,
        started_at=data["started_at"],
        finished_at=data["finished_at"],
        operator_id=operator.id,
        log_sha256=digest,
    )
    try:
        record.after_event_id = lifecycle.last_event_id(device)
        db.session.add(record)
        if log is not None:
            db.session.flush()
            db.session.add(
                ErasureLog(
                    erasure_id=record.id,
                    filename=_filename(log.filename),
                    media_type=_media_type(log.media_type),
                    content=log.content,
                    sha256=digest,
                )
            )
        device.touch()  # a record changes what guards see: race it like an action
        lifecycle.commit()
    except BaseException:
        db.session.rollback()
        raise
    return present(record)


def present(record: ErasureRecord, policy: Policy | None = None) -> ErasureRecord:
    """Add `meets_policy`: None, or why the record does not meet today's policy."""
    policy = policy or policy_for()
    reached = rules.Classification(record.level and rules.Level(record.level))
    record.meets_policy = rules.meets(policy, record.media, reached)
    return record


def erasures_of(device: Device) -> list[ErasureRecord]:
    """The device's erasure records, newest first, those of removed disks too."""
    policy = policy_for(device)
    records = db.session.scalars(
        sa.select(ErasureRecord)
        .where(ErasureRecord.device_id == device.id)
        .order_by(ErasureRecord.id.desc())
    ).all()
    return [present(record, policy) for record in records]


def log_or_404(device: Device, erasure_id: int) -> ErasureLog:
    """The tool log kept with one of the device's records.

    :raises ApiError: 404 when the record is not the device's or has no log.
    """
    record = db.session.get(ErasureRecord, erasure_id)
    if record is None or record.device_id != device.id:
        raise ApiError(404, f"{device.asset_tag} has no erasure record {erasure_id}")
    log = db.session.get(ErasureLog, erasure_id)
    if log is None:
        raise ApiError(404, f"erasure record {erasure_id} has no tool log")
    return log


# --- disks -----------------------------------------------------------------------


def disk_or_404(device: Device, disk_id: int) -> Disk:
    disk = db.session.get(Disk, disk_id)
    if disk is None or disk.device_id != device.id:
        raise ApiError(404, f"{device.asset_tag} has no disk {disk_id}")
    return disk


def remove_disk(device: Device, disk: Disk) -> Disk:
    """Take a disk out (replaced, sent to destruction): the wipe no longer covers it.

    The disk and its records stay, for the history and the certificate.

    :raises Refusal: 409 when the device is lent, scrapped or lost, or the disk
        was already taken out.
    """
    if device.state in _OUT_OF_REACH:
        raise Refusal("device", f"the device is {device.state}", status=409)
    if disk.removed_at is not None:
        raise Refusal(
            "disk",
            f"this disk was already taken out on {disk.removed_at:%Y-%m-%d}",
            status=409,
        )
    try:
        disk.removed_at = utcnow()
        device.touch()
        lifecycle.commit()
    except BaseException:
        db.session.rollback()
        raise
    return disk
