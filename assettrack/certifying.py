"""Erasure certificates from the database: what one states, issuing it, checking it.

A device's certificate states its latest finished wipe (or, for a scrapped
device, the erasures before it was scrapped): for every data-bearing disk, the
erasure record of that wipe that meets the digibank's policy. A device without
one is *pending*, with the reason in plain words; a batch certificate covers the
donation's finished devices and lists the others as pending.

Asking twice with nothing changed gives the same stored certificate: `covers`
is a digest of everything the certificate says but its number and date, so a
new wipe, one more finished device or a corrected serial give a new one.
Certificates are issued by the "certificate" job (inline without Redis);
`verifying` checks them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask
from flask import current_app
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from assettrack import jobs
from assettrack.certificates import render
from assettrack.certificates import signing
from assettrack.certificates.numbers import make_number
from assettrack.erasures import policy_for
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import BackgroundJob
from assettrack.models import Certificate
from assettrack.models import CertificateCounter
from assettrack.models import Device
from assettrack.models import Disk
from assettrack.models import Donation
from assettrack.models import ErasureRecord
from assettrack.models import Organisation
from assettrack.models import OrganisationKind
from assettrack.models import User
from assettrack.models import WorkflowEvent
from assettrack.models.types import utcnow
from assettrack.workflow.erasure import Media
from assettrack.workflow.erasure import Policy
from assettrack.workflow.erasure import Technique
from assettrack.workflow.erasure import at_least

JOB = "certificate"
LANGUAGES = tuple(render.TEXTS)  # nl, en, fr
DEFAULT_LANGUAGE = render.DEFAULT_LANGUAGE
KEY_FILE = "certificate-signing-key.pem"
FORMAT = 1  # bump when the payload's layout changes: asking again gives a new one
_KEY = "assettrack.certificate_key"

# Why a device is not (yet) covered: codes the PDF and the /verify page translate
# (render.TEXTS), with a sentence in plain words for the API.
NOT_STARTED = "not_started"  # no finished wipe
IN_PROGRESS = "in_progress"  # being wiped, none finished before
NOT_ENOUGH = "not_enough"  # wiped, but a disk's erasure misses the policy
NO_DISKS = "no_disks"  # no data-bearing disk recorded

# The certificate says "ssd" and "handled", as render.py documents; the records
# say sata_ssd and yes (workflow.erasure).
_MEDIA_WORD = {Media.SATA_SSD.value: "ssd"}
_HIDDEN_WORD = {"yes": "handled", "no": "not_handled"}
_WIPE_EVENTS = ("start_wipe", "finish_wipe", "scrap")


class NotCertifiable(ApiError):
    """No certificate can be issued yet: 409 with each pending device and why."""

    def __init__(self, message: str, pending: Sequence[Assessment] = ()):
        super().__init__(
            409,
            message,
            code="not_erased",
            pending=[
                {"tag": a.device.asset_tag, "reason": a.reason, "message": a.message}
                for a in pending
            ],
        )


# --- the signing key ---------------------------------------------------------------


def key_path(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("CERTIFICATE_KEY")
    return Path(configured) if configured else Path(app.instance_path) / KEY_FILE


def signing_key(app: Flask | None = None) -> Ed25519PrivateKey:
    """The service's Ed25519 key, read (or generated) once per app."""
    app = app or current_app
    key = app.extensions.get(_KEY)
    if key is None:
        key = app.extensions[_KEY] = signing.load_or_create_key(key_path(app))
    return key


def public_key() -> dict:
    """The public half of the signing key, for checking certificates offline."""
    key = signing_key()
    return {
        "algorithm": "Ed25519",
        "key_id": signing.key_id(key),
        "public_key_pem": signing.public_key_pem(key),
        "signed": "the UTF-8 bytes of certificate.json, attached to the PDF",
    }


# --- what a certificate states -------------------------------------------------------


@dataclass(frozen=True)
class Erased:
    """One disk and the erasure record the certificate states for it."""

    disk: Disk
    record: ErasureRecord


@dataclass(frozen=True)
class Assessment:
    """Whether a device's erasure is complete: its disks' records, or why not."""

    device: Device
    erased: tuple[Erased, ...] = ()
    reason: str | None = None  # None: complete; else one of the codes above
    message: str = ""

    @property
    def complete(self) -> bool:
        return self.reason is None


def _window(device: Device, events: list[tuple[int, str]]) -> tuple[int, int] | None:
    """The event ids between which the stated erasures were recorded.

    A scrapped device: everything before it was scrapped (its disks may have been
    destroyed without a finished wipe). Else the latest finished wipe, from its
    start_wipe to its finish_wipe. A return does not undo it: the certificate is
    about the donor's data, which that wipe erased before the first loan.
    """
    if device.state == "scrapped":
        scraps = [event for event, action in events if action == "scrap"]
        if scraps:
            return 0, scraps[-1]
    finishes = [event for event, action in events if action == "finish_wipe"]
    if not finishes:
        return None
    end = finishes[-1]
    starts = (e for e, action in events if action == "start_wipe" and e < end)
    return max(starts, default=0), end


def _shortfall(record: ErasureRecord, policy: Policy) -> str | None:
    """Why this record does not count for the certificate; None when it does."""
    if record.outcome != "erased":
        return f"the erasure {record.outcome}"
    if record.verification_result == "failed":
        return "its verification failed"
    try:
        media = Media(record.media)
    except ValueError:
        media = Media.OTHER
    needed = policy.required.get(media)
    if needed is None or not at_least(record.level, needed):
        return f"{media} needs {needed}, the erasure reached {record.level or 'none'}"
    return None


def _assess(
    device: Device, events: list, records: list[ErasureRecord], policy: Policy
) -> Assessment:
    tag = device.asset_tag
    window = _window(device, events)
    if window is None:
        if device.state == "wiping":
            return Assessment(device, (), IN_PROGRESS, f"{tag} is being wiped")
        return Assessment(device, (), NOT_STARTED, f"{tag} has not been wiped yet")
    start, end = window
    in_cycle = [r for r in records if start <= r.after_event_id < end]
    bearing = [disk for disk in device.disks if disk.data_bearing]
    if not any(disk.removed_at is None for disk in bearing):
        return Assessment(device, (), NO_DISKS, f"{tag} has no data-bearing disk")
    erased, short = [], []
    for disk in bearing:  # taken-out disks too: listed when erased before
        tried = [r for r in in_cycle if r.disk_id == disk.id]
        good = [r for r in tried if _shortfall(r, policy) is None]
        if good:
            erased.append(Erased(disk, good[-1]))
        elif disk.removed_at is None:
            why = _shortfall(tried[-1], policy) if tried else "no erasure recorded"
            short.append(f"disk {disk.label}: {why}")
    if short:
        reason = IN_PROGRESS if device.state == "wiping" else NOT_ENOUGH
        message = f"{tag}, in its last finished wipe: " + "; ".join(short)
        return Assessment(device, (), reason, message)
    return Assessment(device, tuple(erased))


def assess(devices: Sequence[Device], policy: Policy | None = None) -> list[Assessment]:
    """Each device's `Assessment`, in three queries however many devices."""
    ids = [device.id for device in devices]
    events: dict[int, list] = defaultdict(list)
    records: dict[int, list] = defaultdict(list)
    if ids:
        for device_id, event_id, action in db.session.execute(
            sa.select(WorkflowEvent.device_id, WorkflowEvent.id, WorkflowEvent.action)
            .where(
                WorkflowEvent.device_id.in_(ids),
                WorkflowEvent.action.in_(_WIPE_EVENTS),
            )
            .order_by(WorkflowEvent.id)
        ):
            events[device_id].append((event_id, action))
        for record in db.session.scalars(
            sa.select(ErasureRecord)
            .where(ErasureRecord.device_id.in_(ids))
            .order_by(ErasureRecord.id)
        ):
            records[record.device_id].append(record)
    policy = policy or policy_for()
    return [
        _assess(device, events[device.id], records[device.id], policy)
        for device in devices
    ]


@dataclass
class Statement:
    """What a certificate for one device or one donation would state now."""

    scope: str  # "device" or "batch"
    subject_id: int  # the device's or the donation's id
    language: str
    assessments: list[Assessment]
    donation: Donation | None = None
    _content: dict | None = field(default=None, repr=False)

    @property
    def covered(self) -> list[Assessment]:
        return [a for a in self.assessments if a.complete]

    @property
    def pending(self) -> list[Assessment]:
        return [a for a in self.assessments if not a.complete]

    def check(self) -> None:
        """:raises NotCertifiable: nothing (or, for a device, not all) is erased."""
        if self.scope == "device":
            if self.pending:
                raise NotCertifiable(
                    "no certificate yet: " + self.pending[0].message, self.pending
                )
            return
        if not self.assessments:
            raise NotCertifiable(f"donation {self.subject_id} has no devices")
        if not self.covered:
            raise NotCertifiable(
                "no device of this donation is erased yet", self.pending
            )

    def content(self) -> dict:
        """The certificate's data but its number, date and verify URL."""
        if self._content is None:
            self._content = _content(self)
        return self._content

    @property
    def covers(self) -> str:
        return digest(self.content())


def _language(language: str | None) -> str:
    if language not in LANGUAGES:
        raise ApiError(
            422,
            f"no certificate language {language!r}",
            fields={"lang": [f"one of {', '.join(LANGUAGES)}"]},
        )
    return language


def device_statement(device: Device, language: str = DEFAULT_LANGUAGE) -> Statement:
    language = _language(language)
    donation = device.donation_id and db.session.get(Donation, device.donation_id)
    return Statement("device", device.id, language, assess([device]), donation or None)


def donation_statement(
    donation: Donation, language: str = DEFAULT_LANGUAGE
) -> Statement:
    language = _language(language)
    devices = list(
        db.session.scalars(
            sa.select(Device)
            .where(Device.donation_id == donation.id)
            .order_by(Device.asset_tag)
        )
    )
    return Statement("batch", donation.id, language, assess(devices), donation)


def _organisation() -> dict:
    """The coordinating organisation: it answers for the certificate."""
    organisation = db.session.scalar(
        sa.select(Organisation)
        .where(Organisation.kind == OrganisationKind.coordinator.value)
        .order_by(Organisation.id)
        .limit(1)
    )
    if organisation is None:
        return {"name": current_app.config["ORGANISATION_NAME"], "address": ""}
    return {"name": organisation.name, "address": organisation.address or ""}


def _time(moment: datetime | None) -> str | None:
    return moment and moment.isoformat()


def _disk(erased: Erased) -> dict:
    disk, record = erased.disk, erased.record
    overwrite = record.technique == Technique.OVERWRITE.value
    operator = record.operator
    return {
        "erasure": record.id,
        "model": " ".join(part for part in (disk.make, disk.model) if part),
        "serial": disk.serial,
        "size_gb": disk.size_gb,
        "interface": disk.interface,
        "media": _MEDIA_WORD.get(record.media, record.media),
        "method": record.level,
        "technique": record.technique,
        "passes": record.passes if overwrite else None,
        "tool": record.tool,
        "tool_version": record.tool_version,
        "verification": record.verification,
        "verification_result": record.verification_result,
        # HPA/DCO matter only to host software; a drive's own command covers them.
        "hidden_areas": (
            _HIDDEN_WORD.get(record.hidden_areas, record.hidden_areas)
            if overwrite
            else None
        ),
        "outcome": record.outcome,
        "operator": operator.name or operator.email,
        "started_at": _time(record.started_at),
        "finished_at": _time(record.finished_at),
        "log_sha256": record.log_sha256,
        "removed": disk.removed_at is not None,
    }


def _device(device: Device) -> dict:
    return {
        "tag": device.asset_tag,
        "make": device.make,
        "model": device.model,
        "serial": device.serial,
    }


def _content(statement: Statement) -> dict:
    key = signing_key()
    content = {
        "format": FORMAT,
        "scope": statement.scope,
        "language": statement.language,
        "key_id": signing.key_id(key),
        "organisation": _organisation(),
        "devices": [
            {
                **_device(a.device),
                "disks": [_disk(e) for e in sorted(a.erased, key=lambda e: e.disk.id)],
            }
            for a in statement.covered
        ],
    }
    if donation := statement.donation:
        content["donor"] = {
            "name": donation.donor.name,
            "reference": f"#{donation.id}, {donation.received_on.isoformat()}",
        }
    if statement.scope == "batch":
        content["pending"] = [
            {**_device(a.device), "reason": a.reason} for a in statement.pending
        ]
    return content


def digest(content: dict) -> str:
    return hashlib.sha256(signing.canonical_json(content).encode()).hexdigest()


# --- issuing -------------------------------------------------------------------------


def _subject(statement: Statement):
    if statement.scope == "device":
        return Certificate.device_id == statement.subject_id
    return Certificate.donation_id == statement.subject_id


def current(statement: Statement) -> Certificate | None:
    """The stored certificate that says exactly what `statement` says, if any."""
    return db.session.scalar(
        sa.select(Certificate)
        .where(
            Certificate.covers == statement.covers,
            Certificate.scope == statement.scope,
            _subject(statement),
        )
        .order_by(Certificate.id)
        .limit(1)
    )


def _local_year(moment: datetime) -> int:
    try:
        return moment.astimezone(ZoneInfo(render.TIMEZONE)).year
    except ZoneInfoNotFoundError:
        return moment.year


def allocate_number(year: int) -> str:
    """The next certificate number of `year`, committed at once.

    Its own short transaction (the counter row is locked only for the upsert,
    never while a PDF renders): a number is never handed out twice, and one
    whose certificate then fails to render is skipped, never reused.
    """
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(CertificateCounter)
        .values(year=year, last_sequence=1)
        .on_conflict_do_update(
            index_elements=[CertificateCounter.year],
            set_={"last_sequence": CertificateCounter.last_sequence + 1},
        )
        .returning(CertificateCounter.last_sequence)
    )
    try:
        sequence = db.session.execute(statement).scalar_one()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return make_number(year, sequence)


def issue(statement: Statement, issued_by: int | None, base_url: str) -> Certificate:
    """The certificate for `statement`: the stored one, or a new signed one.

    :raises NotCertifiable: nothing to certify (see `Statement.check`).
    """
    statement.check()
    if found := current(statement):
        return found
    key = signing_key()
    issued_at = utcnow().replace(microsecond=0)
    number = allocate_number(_local_year(issued_at))
    cert = {
        **statement.content(),
        "number": number,
        "issued_at": issued_at.isoformat(),
        "verify_url": render.verify_url(base_url, number),
    }
    signed = signing.sign(cert, key)
    pdf = render.render_certificate(cert, key)
    try:
        if found := current(statement):  # another request issued it meanwhile
            return found
        certificate = Certificate(
            number=number,
            scope=statement.scope,
            device_id=statement.subject_id if statement.scope == "device" else None,
            donation_id=statement.donation and statement.donation.id,
            covers=statement.covers,
            language=statement.language,
            payload=signed.payload_json,
            signature=signed.signature_b64,
            key_id=cert["key_id"],
            pdf=pdf,
            issued_by_id=issued_by,
            issued_at=issued_at,
        )
        db.session.add(certificate)
        db.session.commit()
    except sa.exc.IntegrityError:  # issued by another request since: that one
        db.session.rollback()
        if found := current(statement):
            return found
        raise
    except BaseException:
        db.session.rollback()
        raise
    return certificate


@dataclass(frozen=True)
class Issued:
    """A certificate issued before, as a list of them shows it."""

    number: str
    language: str
    issued_at: datetime
    superseded_by: str | None  # the newest later one in the same language


def issued(scope: str, subject_id: int) -> list[Issued]:
    """The certificates issued for a device or a donation, newest first.

    One is superseded once a later one in its language exists (a translation
    is not newer), the rule `verifying` reports on /verify.
    """
    subject = Certificate.device_id if scope == "device" else Certificate.donation_id
    rows = db.session.execute(
        sa.select(Certificate.number, Certificate.language, Certificate.issued_at)
        .where(Certificate.scope == scope, subject == subject_id)
        .order_by(Certificate.id.desc())
    ).all()
    newest: dict[str, str] = {}
    listed = []
    for number, language, issued_at in rows:
        latest = newest.setdefault(language, number)
        listed.append(
            Issued(number, language, issued_at, None if latest == number else latest)
        )
    return listed


def _statement_of(params: dict) -> Statement:
    if params["scope"] == "device":
        device = db.session.get(Device, params["device"])
        if device is None:
            raise ValueError(f"device {params['device']} no longer exists")
        return device_statement(device, params["language"])
    donation = db.session.get(Donation, params["donation"])
    if donation is None:
        raise ValueError(f"donation {params['donation']} no longer exists")
    return donation_statement(donation, params["language"])


def run_job(params: dict, progress) -> tuple[bytes, str]:
    """The "certificate" job: issue (or find) the certificate, answer its PDF."""
    statement = _statement_of(params)
    certificate = issue(statement, params.get("issued_by"), params["base_url"])
    progress(len(statement.assessments), len(statement.assessments))
    return certificate.pdf, "application/pdf"


jobs.KINDS[JOB] = run_job


def obtain(
    statement: Statement, user: User, base_url: str
) -> Certificate | BackgroundJob:
    """The current certificate, or the job issuing it (finished at once inline).

    :raises NotCertifiable: nothing to certify yet (409, with the reasons).
    """
    statement.check()
    if found := current(statement):
        return found
    params = {
        "scope": statement.scope,
        "device" if statement.scope == "device" else "donation": statement.subject_id,
        "language": statement.language,
        "issued_by": user.id,
        "base_url": base_url,
    }
    job = jobs.submit(JOB, params, user, total=len(statement.assessments))
    if job.status == "failed":
        raise ApiError(409, f"the certificate was not issued: {job.error}")
    if job.status == "finished":
        return current(statement) or job
    return job
