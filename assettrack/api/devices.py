"""Devices: list, look up by tag, register at intake, act on, read the history."""

import sqlalchemy as sa

from assettrack import intake
from assettrack import lifecycle
from assettrack import reach
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import optional_json_object
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.devices import device_or_404
from assettrack.devices import filtered
from assettrack.devices import find_or_404
from assettrack.devices import history_for
from assettrack.devices import present
from assettrack.extensions import db
from assettrack.models import WorkflowEvent
from assettrack.schemas.actions import payload_schema
from assettrack.schemas.common import page_of
from assettrack.schemas.devices import DeviceIntakeSchema
from assettrack.schemas.devices import DeviceQuery
from assettrack.schemas.devices import DeviceSchema
from assettrack.schemas.devices import EventSchema
from assettrack.workflow import BY_ACTION
from assettrack.workflow import NotPermitted
from assettrack.workflow import UnknownAction
from assettrack.workflow.machine import may

device_schema = DeviceSchema()
events_schema = EventSchema(many=True)


@bp.get("/devices")
@requires()
@query(DeviceQuery())
@responds(
    page_of(DeviceSchema)(
        exclude=(
            "items.allowed_actions",
            "items.current_loan",
            "items.disks",
            "items.lendability",
        )
    )
)
def list_devices(args):
    """Devices, filtered by state, location, kind, donation or a search text."""
    return paginate(filtered(args, current_user()), args["page"], args["per_page"])


@bp.post("/devices")
@requires("repair", "coordinator")
@body(DeviceIntakeSchema())
@responds(device_schema, 201)
def register_device(data):
    """Register a device at intake; it gets the next asset tag unless one is given."""
    return present(intake.register(data, current_user()), current_user())


@bp.get("/devices/<tag>")
@requires()
@responds(device_schema)
def get_device(tag):
    return present(device_or_404(tag, current_user()), current_user())


@bp.post("/devices/<tag>/actions/<action>")
@requires()
@responds(device_schema)
def act(tag, action):
    """Perform one workflow action; refused: 409 with the reason and what is allowed."""
    if action not in BY_ACTION:
        raise UnknownAction(action)
    if not may(current_user().role, BY_ACTION[action]):  # 403 before any 404 or 422
        raise NotPermitted(action, current_user().role)
    device = find_or_404(tag)
    # Out of reach, only `relocate` to one's own place is heard (reach.found_here).
    claimed = action == "relocate" and not reach.within(current_user(), device)
    if not claimed:
        reach.reach(current_user(), device)
    payload = payload_schema(action).load(optional_json_object())
    if claimed and not reach.found_here(current_user(), payload):
        raise reach.out_of_reach(device)
    performed = lifecycle.perform(device, action, current_user(), payload)
    return present(device, current_user(), performed.history)


@bp.get("/devices/<tag>/events")
@requires()
@responds(events_schema)
def device_events(tag):
    """The device's immutable history, oldest first."""
    device = device_or_404(tag, current_user())
    events = db.session.scalars(
        sa.select(WorkflowEvent)
        .where(WorkflowEvent.device_id == device.id)
        .order_by(WorkflowEvent.id)
    ).all()
    return history_for(events, current_user())
