"""Intake of a donated batch: the donation first, then its devices one by one."""

from flask import abort
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from assettrack import intake
from assettrack import labelling
from assettrack import places
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Donation
from assettrack.pages import bp
from assettrack.pages import wording
from assettrack.pages.auth import me
from assettrack.pages.auth import role_required
from assettrack.pages.forms import DeviceForm
from assettrack.pages.forms import DonationForm
from assettrack.pages.forms import LabelSheetForm
from assettrack.pages.forms import choices
from assettrack.pages.forms import show_refusal
from assettrack.problems import Refusal
from assettrack.schemas.devices import DeviceIntakeSchema
from assettrack.schemas.places import DonationSchema
from assettrack.tagging import TagError
from assettrack.tagging import find_device

INTAKE_ROLES = ("repair", "coordinator")


def _donation_or_404(donation_id: int) -> Donation:
    return db.session.get(Donation, donation_id) or abort(404)


def _render_index(form: DonationForm, status: int = 200):
    return render_template(
        "donations/index.html",
        form=form,
        donations=places.recent_donations(20),
        donors=places.donor_names(),
    ), status


@bp.get("/donations")
@role_required(*INTAKE_ROLES)
def donations():
    """Recent batches, and the form that starts a new one."""
    return _render_index(DonationForm())


@bp.post("/donations")
@role_required(*INTAKE_ROLES)
def create_donation():
    form = DonationForm()
    if form.validate_on_submit():
        try:
            donation = places.create_donation(DonationSchema().load(form.body()))
        except (Refusal, ValidationError) as exc:
            show_refusal(form, exc)
        else:
            flash(_("Batch from %(donor)s started.", donor=donation.donor.name), "ok")
            return redirect(url_for("pages.donation", donation_id=donation.id))
    return _render_index(form, 422)


def _device_form(formdata=None) -> DeviceForm:
    """The intake form, filled like the device named by `?like=` when given."""
    like = None
    if formdata is None and (tag := request.args.get("like")):
        try:
            like = find_device(tag)
        except TagError:
            pass
    form = DeviceForm(formdata=formdata, data=_like(like) if like else None)
    locations = places.intake_locations(me())
    form.location.choices = choices((place.id, place.name) for place in locations)
    return form


def _like(device: Device) -> dict:
    """The next device of a batch is often the same model: start from the last."""
    specs = device.specs or {}
    return {
        "kind": device.kind,
        "make": device.make,
        "model": device.model,
        "cpu": specs.get("cpu"),
        "ram_gb": specs.get("ram_gb"),
        "storage_gb": specs.get("storage_gb"),
        "location": device.location_id,
        "disks": [{"kind": d.kind, "size_gb": d.size_gb} for d in device.disks],
    }


def _render_donation(donation: Donation, form: DeviceForm, status: int = 200):
    return render_template(
        "donations/show.html",
        donation=donation,
        form=form,
        devices=places.devices_of(donation),
        labels_form=LabelSheetForm(),
    ), status


@bp.get("/donations/<id:donation_id>")
@role_required(*INTAKE_ROLES)
def donation(donation_id: int):
    """The batch: its devices so far, and the form to add the next one."""
    return _render_donation(_donation_or_404(donation_id), _device_form())


@bp.post("/donations/<id:donation_id>/devices")
@role_required(*INTAKE_ROLES)
def add_device(donation_id: int):
    donation = _donation_or_404(donation_id)
    form = _device_form(request.form)
    if form.validate_on_submit():
        try:
            data = DeviceIntakeSchema().load(form.body(donation.id))
            device = intake.register(data, me())
        except (Refusal, ValidationError) as exc:
            show_refusal(form, exc)
        else:
            flash(_("%(tag)s registered.", tag=device.asset_tag), "ok")
            return redirect(
                url_for(
                    "pages.donation",
                    donation_id=donation.id,
                    like=device.asset_tag,
                    _anchor="next-device",
                )
            )
    return _render_donation(donation, form, 422)


@bp.post("/donations/<id:donation_id>/labels")
@role_required(*INTAKE_ROLES)
def print_labels(donation_id: int):
    """Start the batch's label sheet; its page says when the PDF is ready."""
    donation = _donation_or_404(donation_id)
    form = LabelSheetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        job = labelling.request_sheet(
            {"donation": donation.id, "layout": form.layout.data}, me()
        )
    except Refusal as exc:
        flash(wording.sentence(str(exc)), "error")
        return redirect(url_for("pages.donation", donation_id=donation.id))
    return redirect(url_for("pages.job", job_id=job.id))
