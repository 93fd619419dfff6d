"""Erasing a device's disks at the bench: a form per disk; disks added or taken out.

The form offers first the techniques that reach the level the digibank's policy
asks for this disk's media (from `workflow.erasure.RULES`), each with the level
it reaches; the service still works out the level itself from what was done.
"""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from marshmallow import ValidationError
from wtforms.fields.choices import SelectChoice

from assettrack import downloads
from assettrack import erasures
from assettrack import intake
from assettrack.extensions import csrf
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Disk
from assettrack.models import ErasureLog
from assettrack.models import ErasureRecord
from assettrack.pages import bp
from assettrack.pages import wording
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.devices import device_or_404
from assettrack.pages.forms import show_refusal
from assettrack.pages.repair_forms import LOG_MAX_BYTES
from assettrack.pages.repair_forms import TOOLS
from assettrack.pages.repair_forms import AddDiskForm
from assettrack.pages.repair_forms import ConfirmForm
from assettrack.pages.repair_forms import ErasureForm
from assettrack.problems import Refusal
from assettrack.schemas.devices import DiskSchema
from assettrack.schemas.erasures import ErasureSchema
from assettrack.workflow import erasure as rules

ERASE_ROLES = ("repair",)  # as the API: POST .../erasures
DISK_ROLES = ("repair", "coordinator")  # as the API: POST/DELETE .../disks
# Room for the erasure form's other fields beside its log file.
_FORM_ROOM = 256 * 1024


def technique_choices(media: rules.Media, needs: rules.Level) -> list[SelectChoice]:
    """Every technique, grouped: those that meet the policy on this media first.

    Each says the level it reaches here; one that reaches nothing stays
    choosable, so a record says what was really done.
    """
    meets = _("Meets the policy for this disk (%(level)s)", level=wording.LEVELS[needs])
    short = _("Reaches less than the policy asks")
    nothing = _("Reaches no level on this disk")
    groups = {meets: [], short: [], nothing: []}
    for technique in rules.Technique:
        rule = rules.RULES.get((media, technique))
        name = str(wording.TECHNIQUES[technique])
        if rule is None or rule.level is None:
            group = nothing
        else:
            name = f"{name} — {wording.LEVELS[rule.level]}"
            group = meets if rules.at_least(rule.level, needs) else short
        groups[group].append(SelectChoice(technique.value, name, optgroup=group))
    return [choice for group in groups.values() for choice in group]


def _disk_or_404(device: Device, disk_id: int) -> Disk:
    disk = db.session.get(Disk, disk_id)
    if disk is None or disk.device_id != device.id:
        abort(404)
    return disk


def _back(device: Device, anchor: str = "erasure-heading"):
    return redirect(url_for("pages.device", tag=device.asset_tag, _anchor=anchor))


@csrf.exempt  # checked below, once the form may be as large as its log file
@bp.route("/devices/<tag>/disks/<id:disk_id>/erasure", methods=["GET", "POST"])
@role_required(*ERASE_ROLES)
def erasure(tag: str, disk_id: int):
    """Record how one disk was erased, with the tool's log if there is one."""
    device = device_or_404(tag)
    disk = _disk_or_404(device, disk_id)
    if request.method == "POST":
        request.max_content_length = LOG_MAX_BYTES + _FORM_ROOM
        csrf.protect()
    if disk.removed_at is not None:
        flash(_("This disk was taken out of the device; it needs no erasure."), "error")
        return _back(device)
    media = rules.media_of(disk.kind, disk.interface)
    needs = erasures.policy_for(device).required[media]
    form = ErasureForm()
    form.technique.choices = technique_choices(media, needs)
    if request.method == "GET":
        form.technique.data = form.technique.choices[0].value
    if form.validate_on_submit():
        try:
            data = ErasureSchema().load(form.body(disk.id))
            record = erasures.record_erasure(device, data, me(), form.tool_log)
        except (Refusal, ValidationError) as exc:
            show_refusal(form, exc)
        else:
            _said_saved(record)
            return _back(device, f"disk-{disk.id}")
    return render_template(
        "devices/erasure.html",
        device=device,
        disk=disk,
        media=media,
        needs=needs,
        form=form,
        tools=TOOLS,
    ), (422 if request.method == "POST" else 200)


def _said_saved(record: ErasureRecord) -> None:
    disk = record.disk.serial or record.disk.model or str(record.disk.id)
    if record.meets_policy is None:
        flash(_("Erasure of disk %(disk)s saved.", disk=disk), "ok")
    else:
        flash(
            _(
                "Erasure of disk %(disk)s saved, but it does not meet the policy:"
                " %(reason)s",
                disk=disk,
                reason=wording.sentence(record.meets_policy),
            ),
            "warning",
        )


@bp.get("/devices/<tag>/erasures/<id:erasure_id>/log")
@role_required(*DISK_ROLES)
def erasure_log(tag: str, erasure_id: int):
    """The tool's log kept with a record, byte for byte, never shown inline."""
    device = device_or_404(tag)
    record = db.session.get(ErasureRecord, erasure_id)
    log = record and db.session.get(ErasureLog, erasure_id)
    if log is None or record.device_id != device.id:
        abort(404)
    return downloads.tool_log(log)


@bp.route("/devices/<tag>/disks/<id:disk_id>/remove", methods=["GET", "POST"])
@role_required(*DISK_ROLES)
def remove_disk(tag: str, disk_id: int):
    """Ask first, then take the disk out: the wipe no longer needs to cover it."""
    device = device_or_404(tag)
    disk = _disk_or_404(device, disk_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            erasures.remove_disk(device, disk)
        except Refusal as exc:
            flash(wording.sentence(str(exc)), "error")
        else:
            flash(_("Disk %(disk)s taken out.", disk=disk.label), "ok")
        return _back(device)
    return render_template(
        "devices/remove_disk.html", device=device, disk=disk, form=form
    )


@bp.post("/devices/<tag>/disks")
@role_required(*DISK_ROLES)
def add_disk(tag: str):
    """A disk found after intake, or put in: it must be erased before a loan."""
    device = device_or_404(tag)
    form = AddDiskForm(prefix="disk")
    if form.validate_on_submit():
        try:
            disk = intake.add_disk(device, DiskSchema().load(form.body()))
        except (Refusal, ValidationError) as exc:
            show_refusal(form, exc)
        else:
            flash(_("Disk %(disk)s added.", disk=disk.label), "ok")
            return _back(device, f"disk-{disk.id}")
    for field in form:
        for message in field.errors:
            flash(
                _("%(field)s: %(message)s", field=field.label.text, message=message),
                "error",
            )
    return _back(device)
