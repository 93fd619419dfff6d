"""What repair partners record on a device: disks, erasures and their logs."""

from assettrack import downloads
from assettrack import erasures
from assettrack import intake
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import body_or_form
from assettrack.api.io import found
from assettrack.api.io import reachable_device
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.devices import device_or_404
from assettrack.schemas.devices import DiskSchema
from assettrack.schemas.erasures import ErasurePolicySchema
from assettrack.schemas.erasures import ErasureSchema

disk_schema = DiskSchema()
erasure_schema = ErasureSchema()
erasure_list_schema = ErasureSchema(many=True)
policy_schema = ErasurePolicySchema()


@bp.post("/devices/<tag>/disks")
@requires("repair", "coordinator")
@found("tag", reachable_device, into="device")
@body(disk_schema)
@responds(disk_schema, 201)
def add_disk(device, data):
    """Record a disk found in the device; it must be erased before the next loan."""
    return intake.add_disk(device, data)


@bp.delete("/devices/<tag>/disks/<id:disk_id>")
@requires("repair", "coordinator")
@responds(disk_schema)
def remove_disk(tag, disk_id):
    """Take a disk out (replaced, sent to destruction); it stays on record.

    From then on the device's wipe no longer needs to cover it.
    """
    device = device_or_404(tag, current_user())
    return erasures.remove_disk(device, erasures.disk_or_404(device, disk_id))


@bp.post("/devices/<tag>/erasures")
@requires("repair")
@found("tag", reachable_device, into="device")
@body_or_form(erasure_schema, file="log", max_bytes=erasures.LOG_MAX_BYTES)
@responds(erasure_schema, 201)
def record_erasure(device, data, upload):
    """Record one disk's erasure (JSON, or multipart with the tool's log in `log`)."""
    log = upload and erasures.ToolLog(
        upload.filename, upload.media_type, upload.content
    )
    return erasures.record_erasure(device, data, current_user(), log)


@bp.get("/devices/<tag>/erasures")
@requires()
@responds(erasure_list_schema)
def list_erasures(tag):
    """The device's erasure records, newest first, with what each reaches."""
    return erasures.erasures_of(device_or_404(tag, current_user()))


@bp.get("/devices/<tag>/erasures/<id:erasure_id>/log")
@requires()
def erasure_log(tag, erasure_id):
    """The tool log kept with an erasure record, byte for byte."""
    return downloads.tool_log(
        erasures.log_or_404(device_or_404(tag, current_user()), erasure_id)
    )


@bp.get("/erasure-policy")
@requires()
@responds(policy_schema)
def erasure_policy():
    """The level each media type needs before a device may leave wiping."""
    return erasures.policy_levels(erasures.policy_for())


@bp.put("/erasure-policy")
@requires("coordinator")
@body(policy_schema)
@responds(policy_schema)
def set_erasure_policy(data):
    """Set the levels; a media type left out gets its default (Purge, HDD Clear)."""
    return erasures.policy_levels(erasures.set_policy(data))
