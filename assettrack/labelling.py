"""Labels for devices and pre-printed rolls: what to print, rendered by `labels`."""

import sqlalchemy as sa
from flask import current_app
from flask import request

from assettrack import jobs
from assettrack.extensions import db
from assettrack.models import BackgroundJob
from assettrack.models import Device
from assettrack.models import Donation
from assettrack.models import TagReservation
from assettrack.models import User
from assettrack.problems import Refusal
from assettrack.tagging import TagError
from assettrack.tagging import canonical_tag
from assettrack.tagging import reservation_tags
from labels.render import LabelInfo
from labels.render import render_label
from labels.render import render_sheet

SHEET = "label_sheet"


def public_url() -> str:
    """Where phones scanning a label's QR code reach this service."""
    return current_app.config["PUBLIC_URL"] or request.url_root


def device_label(device: Device, layout: str) -> bytes:
    organisation = current_app.config["ORGANISATION_NAME"]
    return render_label(device.asset_tag, organisation, public_url(), layout)


def _tags(data: dict) -> list[str]:
    if "tags" in data:
        try:
            return [canonical_tag(tag) for tag in data["tags"]]
        except TagError as exc:
            raise Refusal("tags", str(exc)) from None
    if "donation" in data:
        if db.session.get(Donation, data["donation"]) is None:
            raise Refusal("donation", "no such donation")
        return list(
            db.session.scalars(
                sa.select(Device.asset_tag)
                .where(Device.donation_id == data["donation"])
                .order_by(Device.id)
            )
        )
    reservation = db.session.get(TagReservation, data["reservation"])
    if reservation is None:
        raise Refusal("reservation", "no such reservation")
    return reservation_tags(reservation)


def request_sheet(data: dict, user: User) -> BackgroundJob:
    """Start rendering a sheet PDF of many labels; the job says when it is done."""
    tags = _tags(data)
    if not tags:
        raise Refusal("tags", "no labels to print")
    params = {
        "tags": tags,
        "layout": data["layout"],
        "organisation": current_app.config["ORGANISATION_NAME"],
        "base_url": public_url(),
    }
    return jobs.submit(SHEET, params, user, total=len(tags))


def make_sheet(params: dict, progress) -> tuple[bytes, str]:
    labels = [
        LabelInfo(tag, params["organisation"], params["base_url"])
        for tag in params["tags"]
    ]
    return render_sheet(labels, params["layout"], progress), "application/pdf"


jobs.KINDS[SHEET] = make_sheet
