"""The public /verify pages: a donor checks a certificate by its number or its PDF.

No login and no JavaScript: the verdict is in the HTML the server sends, so it
reads the same on any phone. A page shows only `verifying`'s donor-safe summary
(the donor's initials for a number, never serials, operators or anything about
borrowers), and counts against the same per-address limit as the API's /verify.

Statuses follow the API's: a genuine certificate 200, an unknown number 404, a
typo or a malformed number 422, and any verdict on an uploaded file 200 (the
file was read; the verdict is the answer). 413 for a file too large to be one
of ours, 429 with Retry-After when the limit is reached.
"""

from datetime import date
from datetime import datetime

from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from assettrack import verifying
from assettrack.certificates.numbers import NumberError
from assettrack.certificates.numbers import make_number
from assettrack.certificates.numbers import parse_number
from assettrack.extensions import csrf
from assettrack.pages import bp
from assettrack.pages.forms import VerifyNumberForm
from assettrack.pages.forms import VerifyUploadForm
from assettrack.ratelimit import wait_needed

BUCKET, LIMIT = "verify", "VERIFY_RATE_LIMIT"  # shared with the API's /verify
STATUS = {
    verifying.UNKNOWN: 404,
    verifying.TYPO: 422,
    verifying.MALFORMED: 422,
}


def _when(value, kind=datetime):
    try:
        return kind.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _shown(certificate: dict | None) -> dict | None:
    """The summary with its dates as dates, for the page to write in its language."""
    if certificate is None:
        return None
    devices = [
        {
            **device,
            "disks": [
                {**disk, "finished_on": _when(disk.get("finished_on"), date)}
                for disk in device["disks"]
            ],
        }
        for device in certificate["devices"]
    ]
    issued_at = _when(certificate.get("issued_at"))
    return {**certificate, "issued_at": issued_at, "devices": devices}


def _page(
    result: verifying.Verification | None = None,
    *,
    by_file: bool = False,
    number_form: VerifyNumberForm | None = None,
    upload_form: VerifyUploadForm | None = None,
    problem: str | None = None,
    status: int = 200,
    headers: dict | None = None,
):
    page = render_template(
        "verify/index.html",
        result=result,
        by_file=by_file,
        problem=problem,
        example=make_number(date.today().year, 123),
        certificate=_shown(result and result.certificate),
        number_form=number_form or VerifyNumberForm(formdata=None),
        upload_form=upload_form or VerifyUploadForm(formdata=None),
    )
    return page, status, headers or {}


def _too_many(wait: float):
    seconds = max(1, int(wait + 0.999))
    problem = _(
        "Too many checks from your address. Try again in %(seconds)s seconds.",
        seconds=seconds,
    )
    return _page(problem=problem, status=429, headers={"Retry-After": str(seconds)})


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """The form: a typed number goes to its own page, an uploaded PDF is checked.

    One address for both, so the language switcher on a verdict about a file
    leads back to this form in the other language.
    """
    if request.method == "POST":
        return _check_upload()
    if "number" not in request.args:
        return _page()
    form = VerifyNumberForm(request.args)
    if not form.validate():
        return _page(number_form=form, status=422)
    try:
        number = parse_number(form.number.data).canonical
    except NumberError:  # a typo or no number at all: say so beside the form
        result = verifying.check_number(form.number.data)
        return _page(result, number_form=form, status=STATUS[result.status])
    return redirect(url_for("pages.verify_number", number=number))


@bp.get("/verify/<number>")
def verify_number(number: str):
    """What the certificate's QR code opens: is this number ours, what it covers."""
    try:
        canonical = parse_number(number).canonical
    except NumberError:
        canonical = None
    if canonical and canonical != number:  # typed loosely: one address per number
        return redirect(url_for("pages.verify_number", number=canonical))
    if wait := wait_needed(BUCKET, LIMIT):
        return _too_many(wait)
    result = verifying.check_number(number)
    form = None if result.genuine else VerifyNumberForm(data={"number": number})
    return _page(result, number_form=form, status=STATUS.get(result.status, 200))


def _check_upload():
    """An uploaded PDF: genuine, changed, not a certificate, or signed by another."""
    if wait := wait_needed(BUCKET, LIMIT):
        return _too_many(wait)
    request.max_content_length = verifying.MAX_UPLOAD_BYTES
    try:
        form = VerifyUploadForm()
        valid = form.validate()
    except RequestEntityTooLarge:
        return _too_large()
    if not valid:
        return _page(upload_form=form, status=422)
    data = form.certificate.data.read(verifying.MAX_UPLOAD_BYTES + 1)
    if len(data) > verifying.MAX_UPLOAD_BYTES:
        return _too_large()
    if not data:
        form.certificate.errors.append(_("The file is empty."))
        return _page(upload_form=form, status=422)
    result = verifying.check_pdf(data)
    # A changed file still names its number: one click shows what it really says.
    number_form = None
    if result.number and not result.genuine:
        number_form = VerifyNumberForm(data={"number": result.number})
    return _page(result, by_file=True, number_form=number_form)


def _too_large():
    form = VerifyUploadForm(formdata=None)
    megabytes = verifying.MAX_UPLOAD_BYTES // (1024 * 1024)
    form.certificate.errors = [
        _(
            "The file is larger than %(size)s MB, so it is not one of our"
            " certificates (they are far smaller).",
            size=megabytes,
        )
    ]
    return _page(upload_form=form, status=413)


csrf.exempt(verify)  # public and read-only: there is nothing to forge
