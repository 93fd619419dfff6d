"""Enrolment codes and device tokens: how an agent proves which device it is on.

A repair partner issues a one-time code for a device (on its page or label
sheet); the agent trades it for its own token. Only SHA-256 hashes are stored.
Every refusal to enrol looks the same, so a guesser learns nothing about tags.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from assettrack.auth import hash_token
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.models import AgentToken
from assettrack.models import Device
from assettrack.models import EnrollmentCode
from assettrack.models import User
from assettrack.models.types import utcnow
from assettrack.tagging import TagError
from assettrack.tagging import find_device

# No 0/O, 1/I/L: read off a screen or a label and typed on a laptop.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8  # 31**8 ≈ 8.5e11; single use, expiring, rate limited
REFUSED = "this enrolment code is not valid for this device (wrong, used or expired)"


def normalised(code: str) -> str:
    """The code as issued, whatever the case, dashes or spaces it was typed with."""
    return "".join(code.split()).replace("-", "").upper()


def issue_code(
    device: Device, user: User, days: int | None = None
) -> tuple[str, datetime]:
    """A new code for `device` (valid `days`); its earlier unused codes stop."""
    [(code, expires_at)] = issue_codes([device], user, days)
    return code, expires_at


def issue_codes(
    devices: list[Device], user: User, days: int | None = None
) -> list[tuple[str, datetime]]:
    """A new code per device, in one commit; their earlier unused codes stop."""
    now = utcnow()
    expires_at = now + timedelta(days=days or current_app.config["AGENT_CODE_DAYS"])
    db.session.execute(
        sa.update(EnrollmentCode)
        .where(
            EnrollmentCode.device_id.in_([device.id for device in devices]),
            EnrollmentCode.used_at.is_(None),
            EnrollmentCode.expires_at > now,
        )
        .values(expires_at=now)
    )
    issued = []
    for device in devices:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        db.session.add(
            EnrollmentCode(
                device_id=device.id,
                code_hash=hash_token(raw),
                expires_at=expires_at,
                created_by=user.id,
            )
        )
        issued.append((f"{raw[:4]}-{raw[4:]}", expires_at))
    db.session.commit()
    return issued


def enroll(asset_tag: str, code: str) -> tuple[Device, str]:
    """Use up `code` for the device tagged `asset_tag`; the agent's new token.

    Earlier tokens of the device are revoked: one device, one agent.
    """
    try:
        device = find_device(asset_tag)
    except TagError:
        device = None
    now = utcnow()
    used = (
        device is not None
        and db.session.execute(
            sa.update(EnrollmentCode)
            .where(
                EnrollmentCode.code_hash == hash_token(normalised(code)),
                EnrollmentCode.device_id == device.id,
                EnrollmentCode.used_at.is_(None),
                EnrollmentCode.expires_at > now,
            )
            .values(used_at=now)
        ).rowcount
        == 1
    )
    if not used:
        db.session.rollback()
        raise ApiError(403, REFUSED, code="enrollment_refused")
    revoke_tokens(device, now)
    token = "dt_" + secrets.token_urlsafe(32)
    db.session.add(AgentToken(device_id=device.id, token_hash=hash_token(token)))
    db.session.commit()
    return device, token


def revoke_tokens(device: Device, now: datetime | None = None) -> int:
    """Revoke every token of the device (not committed); how many."""
    return db.session.execute(
        sa.update(AgentToken)
        .where(AgentToken.device_id == device.id, AgentToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    ).rowcount


@dataclass(frozen=True)
class Reporter:
    """The device a report comes from, as its token says."""

    device_id: int
    kind: str


def reporting_device(header: str) -> Reporter:
    """The device whose token is in the Authorization header, or 401.

    One query (token and device together): it runs for every report.
    """
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "send the device token: Authorization: Bearer <token>")
    row = db.session.execute(
        sa.select(AgentToken.device_id, AgentToken.revoked_at, Device.kind)
        .join(Device, Device.id == AgentToken.device_id)
        .where(AgentToken.token_hash == hash_token(token.strip()))
    ).first()
    if row is None:
        raise ApiError(401, "this device token is not valid")
    if row.revoked_at is not None:
        raise ApiError(
            401,
            "this device's token was revoked; enrol the agent again with a new code",
            code="device_revoked",
        )
    return Reporter(row.device_id, row.kind)
