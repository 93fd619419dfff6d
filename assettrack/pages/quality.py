"""The quality check at the bench: the checklist as a page, saved halfway or whole.

After a save the device page shows the lendability class the rules derived and
why; `pass_qc` and `fail_qc` stay workflow actions on the device page.
"""

from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from assettrack import lifecycle
from assettrack import quality
from assettrack.models import Device
from assettrack.pages import bp
from assettrack.pages import wording
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.devices import device_or_404
from assettrack.pages.forms import show_refusal
from assettrack.pages.repair_forms import QcForm
from assettrack.pages.repair_forms import qc_form
from assettrack.problems import Refusal
from assettrack.schemas.quality import QcSchema

QC_ROLES = ("repair",)  # as the API: POST .../qc


def _to_device(device: Device):
    return redirect(url_for("pages.device", tag=device.asset_tag, _anchor="qc-heading"))


@bp.route("/devices/<tag>/qc", methods=["GET", "POST"])
@role_required(*QC_ROLES)
def quality_check(tag: str):
    """The checklist: every item pass, fail or n.a., a note each, the grade."""
    device = device_or_404(tag)
    try:
        template = quality.template_for(device)
    except Refusal as exc:
        flash(wording.sentence(str(exc)), "error")
        return _to_device(device)
    if device.state != "qc":
        flash(
            _(
                "The checklist is filled in once the device is in quality check;"
                " it is %(state)s now.",
                state=wording.state(device.state),
            ),
            "error",
        )
        return _to_device(device)
    saved = lifecycle.read_history(device).qc
    if request.method == "GET" and saved is not None:
        form = qc_form(template, data=QcForm.data_of(saved))
    else:
        form = qc_form(template)
    if form.validate_on_submit():
        body = form.body()
        if not body["items"]:
            flash(_("Answer at least one item before saving."), "error")
        else:
            try:
                record = quality.record_qc(device, QcSchema().load(body), me())
            except (Refusal, ValidationError) as exc:
                show_refusal(form, exc)
            else:
                flash(
                    _(
                        "Quality check saved. Lendability: %(lendability)s.",
                        lendability=wording.LENDABILITY[record.lendability],
                    ),
                    "ok",
                )
                return _to_device(device)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "devices/qc.html",
        device=device,
        form=form,
        template=template,
        saved=saved,
    ), status
