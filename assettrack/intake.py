"""Register devices at intake, and add the disks found in them later."""

from assettrack import lifecycle
from assettrack import reach
from assettrack import stock
from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Disk
from assettrack.models import Donation
from assettrack.models import Location
from assettrack.models import User
from assettrack.models import WorkflowEvent
from assettrack.problems import Refusal
from assettrack.tagging import TagError
from assettrack.tagging import canonical_tag
from assettrack.tagging import claim_given_tag
from assettrack.tagging import next_asset_tag
from assettrack.workflow import INITIAL
from assettrack.workflow import INTAKE


def _given_tag(raw: str) -> str:
    """A pre-printed tag from the body: a typo in it is a field to fix, not a 404."""
    try:
        return canonical_tag(raw)
    except TagError as exc:
        raise Refusal("asset_tag", str(exc)) from None


def register(data: dict, actor: User) -> Device:
    """Create a device in the initial state with its disks and intake event."""
    disks = data.pop("disks", [])
    given = data.pop("asset_tag", None)
    place = db.session.get(Location, data["location_id"])
    if place is None:
        raise Refusal("location", "no such location")
    ours = place.organisation_id == actor.organisation_id
    if not (ours or reach.sees_everything(actor)):
        raise Refusal("location", "not a place of your organisation")
    if (
        data.get("donation_id") is not None
        and db.session.get(Donation, data["donation_id"]) is None
    ):
        raise Refusal("donation", "no such donation")
    try:
        tag = _given_tag(given) if given else next_asset_tag()
        if given:
            if db.session.scalar(db.select(Device.id).filter_by(asset_tag=tag)):
                raise Refusal("asset_tag", f"{tag} is already in use")
            claim_given_tag(tag, actor)
        device = Device(
            asset_tag=tag,
            state=INITIAL.value,
            custodian_id=actor.organisation_id,
            home_location_id=stock.new_home(INTAKE, place, None),
            **data,
        )
        device.disks = [Disk(**disk) for disk in disks]
        db.session.add(device)
        db.session.flush()
        db.session.add(
            WorkflowEvent(
                device_id=device.id,
                action=INTAKE,
                from_state=None,
                to_state=device.state,
                actor_id=actor.id,
                location_id=device.location_id,
                payload={"donation": device.donation_id},
            )
        )
        lifecycle.commit()
    except BaseException:
        db.session.rollback()
        raise
    return device


def _record(device: Device, record) -> None:
    """Add a record tied to the device's current history position, atomically."""
    try:
        record.device_id = device.id
        record.after_event_id = lifecycle.last_event_id(device)
        db.session.add(record)
        device.touch()  # a record changes what guards see: race it like an action
        lifecycle.commit()
    except BaseException:
        db.session.rollback()
        raise


def add_disk(device: Device, data: dict) -> Disk:
    if device.state in ("scrapped", "lost"):
        raise Refusal("device", f"the device is {device.state}", status=409)
    disk = Disk(device_id=device.id, **data)
    try:
        db.session.add(disk)
        device.touch()
        lifecycle.commit()
    except BaseException:
        db.session.rollback()
        raise
    return disk
