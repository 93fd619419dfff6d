"""Checking a certificate: by its number, or by the PDF a donor uploads.

For the public /verify page and API: anyone may ask, so the answer only ever
shows a whitelisted summary of the signed payload (no serials, no operators),
and the payload itself never holds anything about borrowers.
"""

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from assettrack.certificates import render
from assettrack.certificates import signing
from assettrack.certificates.numbers import NumberError
from assettrack.certificates.numbers import parse_number
from assettrack.certifying import issued
from assettrack.certifying import signing_key
from assettrack.extensions import db
from assettrack.models import Certificate

MAX_UPLOAD_BYTES = 8 * 1024 * 1024  # a 50-device batch PDF is ~70 kB

# What the check says: Verification.status.
GENUINE = "genuine"  # issued here, unchanged
UNKNOWN = "unknown"  # a well-formed number (or signed PDF) this service never issued
MALFORMED = "malformed"  # not a certificate number at all
TYPO = "typo"  # the check character fails: a mistyped number
NOT_A_CERTIFICATE = "not_a_certificate"  # no signed certificate inside the upload
TAMPERED = "tampered"  # the signature fails, or differs from what was issued
OTHER_KEY = "other_key"  # signed with a key this service does not hold


@dataclass(frozen=True)
class Verification:
    """The answer to "is this certificate genuine?", for the /verify page and API.

    `certificate` (only when genuine) is the donor-safe summary of the signed
    payload: see `summary`.
    """

    status: str
    message: str
    number: str | None = None
    certificate: dict | None = None

    @property
    def genuine(self) -> bool:
        return self.status == GENUINE


def _date(value) -> str | None:
    try:
        return datetime.fromisoformat(str(value)).date().isoformat()
    except ValueError:
        return None


def initials(name: str | None) -> str | None:
    """'Jan Peeters' -> 'J. P.': enough for a donor to recognise, not to identify."""
    if not name:
        return name
    return " ".join(f"{word[0]}." for word in name.split() if word[0].isalnum())


def summary(
    payload: dict, superseded_by: str | None = None, *, donor_in_full: bool = False
) -> dict:
    """What a donor needs to see of a certificate, taken from its signed payload.

    Only whitelisted fields: no serials, no operators, never anything else.
    Numbers can be guessed, and a donor may be a private person, so a lookup by
    number shows the donor's initials; whoever uploads the PDF already holds
    the full name and sees it.
    """

    def device(entry: dict) -> dict:
        return {k: entry.get(k) for k in ("tag", "make", "model")}

    organisation = payload.get("organisation") or {}
    donor = payload.get("donor") or None
    devices = payload.get("devices") or []
    pending = payload.get("pending") or []
    return {
        "number": payload.get("number"),
        "issued_at": payload.get("issued_at"),
        "scope": payload.get("scope"),
        "language": payload.get("language"),
        "organisation": {"name": organisation.get("name")},
        "donor": donor
        and {
            "name": donor.get("name") if donor_in_full else initials(donor.get("name")),
            "reference": donor.get("reference"),
        },
        "device_count": len(devices),
        "pending_count": len(pending),
        "devices": [
            {
                **device(entry),
                "disks": [
                    {
                        "media": disk.get("media"),
                        "level": disk.get("method"),
                        "technique": disk.get("technique"),
                        "outcome": disk.get("outcome"),
                        "finished_on": _date(disk.get("finished_at")),
                    }
                    for disk in entry.get("disks") or []
                ],
            }
            for entry in devices
        ],
        "pending": [{**device(e), "reason": e.get("reason")} for e in pending],
        "key_id": payload.get("key_id"),
        "superseded_by": superseded_by,
    }


def _stored(number: str) -> Certificate | None:
    return db.session.scalar(
        sa.select(Certificate)
        .where(Certificate.number == number)
        .options(so.defer(Certificate.pdf))
    )


def _newer(certificate: Certificate) -> str | None:
    """A later certificate for the same device or donation in the same language."""
    scope = certificate.scope
    subject = certificate.device_id if scope == "device" else certificate.donation_id
    for entry in issued(scope, subject):
        if entry.number == certificate.number:
            return entry.superseded_by
    return None


def _genuine(
    certificate: Certificate, message: str, donor_in_full: bool = False
) -> Verification:
    key = signing_key()
    if certificate.key_id == signing.key_id(key) and not signing.verify(
        certificate.payload, certificate.signature, key
    ):
        return Verification(
            TAMPERED,
            f"the stored certificate {certificate.number} no longer matches its"
            " signature; please contact us",
            certificate.number,
        )
    payload = json.loads(certificate.payload)
    return Verification(
        GENUINE,
        message,
        certificate.number,
        summary(payload, _newer(certificate), donor_in_full=donor_in_full),
    )


def check_number(raw: str) -> Verification:
    """Is `raw` (typed, or read from the QR code) a certificate number issued here?"""
    try:
        number = parse_number(raw).canonical
    except NumberError as exc:
        return Verification(TYPO if exc.code == "bad_check" else MALFORMED, str(exc))
    certificate = _stored(number)
    if certificate is None:
        return Verification(UNKNOWN, f"no certificate {number} was issued here", number)
    return _genuine(certificate, f"certificate {number} was issued here")


def _number_in(payload_json: str) -> str | None:
    try:
        payload = json.loads(payload_json)
        return parse_number(payload["number"]).canonical
    except (ValueError, TypeError, KeyError, RecursionError):
        return None


def check_pdf(pdf: bytes) -> Verification:
    """Is this uploaded PDF a certificate issued here, unchanged?

    The data and signature in the file are compared with the stored ones first,
    so a certificate stays checkable after the key was replaced; only then is
    the signature checked, to tell a changed file from one we never issued.
    """
    extracted = render.extract(pdf)
    if extracted is None:
        return Verification(
            NOT_A_CERTIFICATE,
            "this file holds no signed certificate: upload the PDF as you received it",
        )
    payload_json, signature = extracted
    number = _number_in(payload_json)
    certificate = _stored(number) if number else None
    if certificate and (certificate.payload, certificate.signature) == extracted:
        message = f"this file is certificate {number}, unchanged"
        return _genuine(certificate, message, donor_in_full=True)
    key = signing.key_id(signing_key())
    if signing.verify(payload_json, signature, signing_key()):
        if certificate is None:
            shown = f"certificate {number}" if number else "certificate"
            return Verification(UNKNOWN, f"this {shown} was not issued here", number)
        return Verification(
            TAMPERED,
            f"this file is signed, but is not the certificate {number} issued here",
            number,
        )
    try:
        claimed_key = json.loads(payload_json).get("key_id")
    except (ValueError, AttributeError, RecursionError):
        claimed_key = None
    if certificate is None and claimed_key not in (None, key):
        return Verification(
            OTHER_KEY,
            "this certificate was signed with a key this service does not hold",
            number,
        )
    return Verification(
        TAMPERED,
        "the certificate data in this file was changed after it was signed",
        number,
    )
