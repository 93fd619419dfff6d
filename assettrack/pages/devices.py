"""A device's page: its facts, disks and timeline, and the actions allowed now.

The buttons are exactly `workflow.allowed` for this person (via
`devices.present`); each posts to `act`, which asks `lifecycle.perform`. A
refusal is shown with its reason and changes nothing.
"""

from flask import Response
from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_required
from marshmallow import ValidationError

from assettrack import labelling
from assettrack import lifecycle
from assettrack import places
from assettrack import reach
from assettrack import workflow
from assettrack.devices import present
from assettrack.models import Device
from assettrack.pages import bench
from assettrack.pages import bp
from assettrack.pages import wording
from assettrack.pages.auth import me
from assettrack.pages.errors import NotInCare
from assettrack.pages.forms import FailQcForm
from assettrack.pages.forms import TransferForm
from assettrack.pages.forms import action_form
from assettrack.pages.forms import choices
from assettrack.pages.repair_forms import AddDiskForm
from assettrack.pages.texts import term
from assettrack.problems import Conflict
from assettrack.schemas.actions import payload_schema
from assettrack.tagging import TagError
from assettrack.tagging import find_device
from assettrack.timeline import timeline
from assettrack.workflow import checklist


def device_or_404(tag: str) -> Device:
    """The device a tag names, when the logged-in person reaches it (reach.py)."""
    try:
        device = find_device(tag)
    except TagError:
        device = None
    if device is None:
        abort(404)
    if not reach.within(me(), device):
        place = reach.place_of(device)
        raise NotInCare(device.asset_tag, place.name if place else "?")
    return device


def _fill_choices(form, device: Device) -> None:
    if isinstance(form, TransferForm):
        form.location.choices = choices((p.id, p.name) for p in places.all_locations())
    if isinstance(form, FailQcForm):
        template = checklist.for_kind(device.kind)
        items = template.items if template else ()
        form.failed_items.choices = choices((i.key, term(i.label)) for i in items)


@bp.get("/devices/<tag>")
@login_required
def device(tag: str):
    device = device_or_404(tag)
    if tag != device.asset_tag:  # typed or scanned another way: one address
        return redirect(url_for("pages.device", tag=device.asset_tag))
    history = lifecycle.read_history(device)
    present(device, me(), history)
    forms = {action: action_form(action) for action in device.allowed_actions}
    for form in forms.values():
        _fill_choices(form, device)
    if "fail_qc" in forms:  # ticked as the saved check has them
        forms["fail_qc"].failed_items.data = bench.failed_in(history)
    return render_template(
        "devices/show.html",
        device=device,
        forms=forms,
        not_yet=bench.not_yet(device, history, me()),
        disks=bench.disks_on(device, history),
        check=bench.latest_check(device, history),
        disk_form=AddDiskForm(prefix="disk"),
        timeline=timeline(device, me()),
    )


@bp.post("/devices/<tag>/actions/<action>")
@login_required
def act(tag: str, action: str):
    """Perform one action; whatever the answer, back to the device's page."""
    device = device_or_404(tag)
    if action not in workflow.BY_ACTION:
        abort(404)
    form = action_form(action)
    _fill_choices(form, device)
    if not form.validate_on_submit():
        for field in form:
            for message in field.errors:
                flash(
                    _(
                        "%(field)s: %(message)s",
                        field=field.label.text,
                        message=message,
                    ),
                    "error",
                )
        return redirect(url_for("pages.device", tag=device.asset_tag))
    try:
        payload = payload_schema(action).load(form.payload())
        lifecycle.perform(device, action, me(), payload)
    except (workflow.WorkflowError, ValidationError, Conflict) as exc:
        for message in wording.why_not(action, exc):
            flash(message, "error")
    else:
        flash(_("Done: %(action)s.", action=wording.action(action)), "ok")
    return redirect(url_for("pages.device", tag=device.asset_tag))


@bp.get("/devices/<tag>/label.png")
@login_required
def device_label(tag: str):
    """The device's label for a 62 mm roll printer."""
    png = labelling.device_label(device_or_404(tag), "62mm")
    return Response(png, mimetype="image/png")
