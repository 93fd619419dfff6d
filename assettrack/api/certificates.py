"""Erasure certificates: the PDFs for a device or a batch, the list, and /verify.

`/verify` is public (no token): donors check a number or upload their PDF.
"""

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import request

from assettrack import certifying
from assettrack import downloads
from assettrack import reach
from assettrack import verifying
from assettrack.api import bp
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.certificates.numbers import NumberError
from assettrack.certificates.numbers import parse_number
from assettrack.devices import device_or_404
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.labelling import public_url
from assettrack.models import Certificate
from assettrack.models import Device
from assettrack.models import Donation
from assettrack.ratelimit import rate_limited
from assettrack.schemas.certificates import CertificateDetailSchema
from assettrack.schemas.certificates import CertificateListQuery
from assettrack.schemas.certificates import CertificateQuery
from assettrack.schemas.certificates import CertificateSchema
from assettrack.schemas.certificates import SigningKeySchema
from assettrack.schemas.certificates import VerificationSchema
from assettrack.schemas.common import page_of
from assettrack.schemas.labels import JobSchema
from assettrack.tagging import TagError
from assettrack.tagging import canonical_tag

ISSUERS = ("coordinator", "repair")
job_schema = JobSchema()


def _pdf_or_job(statement: certifying.Statement):
    """200 with the PDF, or 202 with the job that is issuing it."""
    outcome = certifying.obtain(statement, current_user(), public_url())
    if isinstance(outcome, Certificate):
        return downloads.certificate_pdf(outcome)
    return job_schema.dump(outcome), 202, {"Location": f"/api/v1/jobs/{outcome.id}"}


@bp.get("/devices/<tag>/certificate.pdf")
@requires(*ISSUERS)
@query(CertificateQuery())
def device_certificate(tag, args):
    """The device's erasure certificate (PDF); 202 and a job while it is made."""
    device = device_or_404(tag, current_user())
    return _pdf_or_job(certifying.device_statement(device, args["lang"]))


@bp.get("/donations/<id:donation_id>/certificate.pdf")
@requires(*ISSUERS)
@query(CertificateQuery())
def donation_certificate(donation_id, args):
    """The batch's erasure certificate (PDF): erased devices, the others pending."""
    donation = db.session.get(Donation, donation_id)
    if donation is None:
        raise ApiError(404, f"no donation {donation_id}")
    return _pdf_or_job(certifying.donation_statement(donation, args["lang"]))


def _with_tags(certificates: list[Certificate]) -> list[Certificate]:
    """Name each certificate's device by its tag, in one query."""
    ids = {c.device_id for c in certificates if c.device_id}
    tags = dict(
        db.session.execute(
            sa.select(Device.id, Device.asset_tag).where(Device.id.in_(ids))
        ).all()
        if ids
        else []
    )
    for certificate in certificates:
        certificate.device_tag = tags.get(certificate.device_id)
    return certificates


@bp.get("/certificates")
@requires(*ISSUERS)
@query(CertificateListQuery())
@responds(page_of(CertificateSchema)())
def list_certificates(args):
    """Issued certificates, newest first; filter by device, donation or scope."""
    select = (
        sa.select(Certificate)
        .where(reach.certificates_within(current_user()))
        .options(so.defer(Certificate.pdf), so.defer(Certificate.payload))
    )
    if "device" in args:
        try:
            tag = canonical_tag(args["device"])
        except TagError as exc:
            raise ApiError(422, str(exc), fields={"device": [str(exc)]}) from None
        select = select.where(
            Certificate.device_id
            == sa.select(Device.id).where(Device.asset_tag == tag).scalar_subquery()
        )
    if "donation" in args:
        select = select.where(Certificate.donation_id == args["donation"])
    if "scope" in args:
        select = select.where(Certificate.scope == args["scope"])
    page = paginate(
        select.order_by(Certificate.id.desc()), args["page"], args["per_page"]
    )
    return {**page, "items": _with_tags(page["items"])}


def _certificate_or_404(number: str, *, pdf: bool = False) -> Certificate:
    try:
        canonical = parse_number(number).canonical
    except NumberError as exc:
        raise ApiError(404, str(exc)) from None
    select = sa.select(Certificate).where(
        Certificate.number == canonical, reach.certificates_within(current_user())
    )
    if not pdf:
        select = select.options(so.defer(Certificate.pdf))
    certificate = db.session.scalar(select)
    if certificate is None:
        raise ApiError(404, f"no certificate {canonical}")
    return _with_tags([certificate])[0]


@bp.get("/certificates/<number>")
@requires(*ISSUERS)
@responds(CertificateDetailSchema())
def get_certificate(number):
    """One issued certificate with the exact data that was signed."""
    return _certificate_or_404(number)


@bp.get("/certificates/<number>/certificate.pdf")
@requires(*ISSUERS)
def certificate_pdf(number):
    """The PDF of an issued certificate, as it was issued."""
    return downloads.certificate_pdf(_certificate_or_404(number, pdf=True))


@bp.get("/verify/public-key")
@responds(SigningKeySchema())
def signing_key():
    """Public: the key certificates are signed with, to check one offline."""
    return certifying.public_key()


@bp.get("/verify/<number>")
@rate_limited("verify", "VERIFY_RATE_LIMIT")
@responds(VerificationSchema())
def verify_number(number):
    """Public: was this certificate number issued here, and what does it cover."""
    result = verifying.check_number(number)
    if result.status in (verifying.MALFORMED, verifying.TYPO):
        raise ApiError(
            422,
            result.message,
            fields={"number": [result.message]},
            problem=result.status,
        )
    if result.status == verifying.UNKNOWN:
        raise ApiError(404, result.message)
    return result


@bp.post("/verify")
@rate_limited("verify", "VERIFY_RATE_LIMIT")
@responds(VerificationSchema())
def verify_pdf():
    """Public: is this PDF (multipart field `certificate`) a certificate issued here."""
    request.max_content_length = verifying.MAX_UPLOAD_BYTES
    upload = request.files.get("certificate")
    if upload is None:
        raise ApiError(
            422,
            "send the certificate PDF as multipart/form-data in the field"
            " 'certificate'",
            fields={"certificate": ["missing"]},
        )
    data = upload.read(verifying.MAX_UPLOAD_BYTES + 1)
    if not data:
        raise ApiError(422, "the file is empty", fields={"certificate": ["empty"]})
    if len(data) > verifying.MAX_UPLOAD_BYTES:
        raise ApiError(
            413, f"the file is larger than {verifying.MAX_UPLOAD_BYTES} bytes"
        )
    return verifying.check_pdf(data)


verify_pdf.openapi["body_multipart"] = "certificate"
