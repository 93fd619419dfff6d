"""Erasure certificates on the device and batch pages: why not yet, or the PDF.

A download asks the domain exactly what the API asks (`certifying.obtain`):
the stored certificate, sent at once, or the job issuing it, whose page reloads
itself until the PDF is in. The panels show what `certifying` assesses, so a
page never holds a rule of its own about when a device is erased.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import abort
from flask import flash
from flask import redirect
from flask import request
from flask import url_for
from flask_babel import gettext as _

from assettrack import certifying
from assettrack import downloads
from assettrack import reach
from assettrack.errors import ApiError
from assettrack.extensions import db
from assettrack.i18n import current_language
from assettrack.labelling import public_url
from assettrack.models import Certificate
from assettrack.models import Device
from assettrack.models import Donation
from assettrack.pages import bp
from assettrack.pages import wording
from assettrack.pages.auth import may
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.devices import device_or_404
from assettrack.pages.donations import _donation_or_404
from assettrack.pages.forms import CertificateForm
from assettrack.problems import Refusal

ISSUERS = ("coordinator", "repair")  # as the API: api/certificates.py


@dataclass
class Panel:
    """What a device's or batch's page says about its certificate."""

    assessments: list[certifying.Assessment]
    issued: list[certifying.Issued]
    form: CertificateForm

    @property
    def covered(self) -> list[certifying.Assessment]:
        return [a for a in self.assessments if a.complete]

    @property
    def pending(self) -> list[certifying.Assessment]:
        return [a for a in self.assessments if not a.complete]


def _form() -> CertificateForm:
    return CertificateForm(formdata=None, data={"language": current_language()})


@bp.app_template_global()
def certificate_panel(subject: Device | Donation) -> Panel | None:
    """The certificate section of a device's or a batch's page.

    None for whoever may not download certificates. A template global, so the
    device and batch pages include it without their views knowing about it.
    """
    if not may(*ISSUERS):
        return None
    if isinstance(subject, Device):
        assessments = certifying.assess([subject])
        scope = "device"
    else:
        assessments = certifying.donation_statement(subject).assessments
        scope = "batch"
    return Panel(assessments, certifying.issued(scope, subject.id), _form())


def _language() -> str:
    form = CertificateForm(request.args)
    return form.language.data if form.validate() else current_language()


def _pdf_or_job(statement: certifying.Statement, back: str):
    """The PDF, or the job's page; back to the page saying why when none can be."""
    try:
        outcome = certifying.obtain(statement, me(), public_url())
    except certifying.NotCertifiable as exc:
        pending = exc.details.get("pending") or []
        for device in pending:
            flash(
                _(
                    "No certificate for %(tag)s yet: %(reason)s.",
                    tag=device["tag"],
                    reason=wording.pending(device["reason"]),
                ),
                "error",
            )
        if not pending:
            flash(_("This batch has no devices yet."), "error")
        return redirect(back)
    except (ApiError, Refusal):  # the job failed, or the queue is unreachable
        flash(_("The certificate could not be made. Try again later."), "error")
        return redirect(back)
    if isinstance(outcome, Certificate):
        return downloads.certificate_pdf(outcome)
    return redirect(url_for("pages.job", job_id=outcome.id))


@bp.get("/devices/<tag>/certificate.pdf")
@role_required(*ISSUERS)
def device_certificate(tag: str):
    """The device's certificate in the chosen language (?language=nl|en|fr)."""
    device = device_or_404(tag)
    statement = certifying.device_statement(device, _language())
    return _pdf_or_job(statement, url_for("pages.device", tag=device.asset_tag))


@bp.get("/donations/<id:donation_id>/certificate.pdf")
@role_required(*ISSUERS)
def donation_certificate(donation_id: int):
    """The batch certificate: its erased devices, the others listed as pending."""
    donation = _donation_or_404(donation_id)
    statement = certifying.donation_statement(donation, _language())
    return _pdf_or_job(statement, url_for("pages.donation", donation_id=donation.id))


@bp.get("/certificates/<number>.pdf")
@role_required(*ISSUERS)
def certificate_pdf(number: str):
    """A certificate issued before, exactly as it was issued."""
    certificate = db.session.scalar(
        sa.select(Certificate).where(
            Certificate.number == number, reach.certificates_within(me())
        )
    )
    return downloads.certificate_pdf(certificate) if certificate else abort(404)
