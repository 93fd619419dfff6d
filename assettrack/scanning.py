"""What a scanned photo names: codes, and the devices behind their tags."""

import sqlalchemy as sa
from flask import current_app

from assettrack import devices as device_views
from assettrack import reach
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import User
from assettrack.problems import Refusal
from scanner.decode import DecodeError
from scanner.decode import decode
from scanner.decode import tags_in


def scan_photo(image: bytes, user: User) -> dict:
    """Decode `image`; a tag whose check character fails is never looked up."""
    try:
        codes = decode(image)
    except DecodeError as exc:
        raise Refusal("image", str(exc)) from None
    tags = tags_in(codes, current_app.config["TAG_PREFIX"])
    found = {
        device.asset_tag: device
        for device in db.session.scalars(
            sa.select(Device).where(Device.asset_tag.in_(tags))
        )
    }
    ours = [tag for tag in tags if tag in found and reach.within(user, found[tag])]
    shown = [device_views.present(found[tag], user) for tag in ours]
    return {
        "codes": codes,
        "devices": [_summary(device) for device in shown],
        "unknown_tags": [tag for tag in tags if tag not in found],
        "not_in_care_tags": [tag for tag in tags if tag in found and tag not in ours],
    }


def _summary(device: Device) -> dict:
    return {
        "asset_tag": device.asset_tag,
        "state": device.state,
        "make": device.make,
        "model": device.model,
        "location": device.location and device.location.name,
        "allowed_actions": device.allowed_actions,
    }
