"""What repair partners record on a device: disks, erasures, quality checks."""

from assettrack import intake
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.devices import device_or_404
from assettrack.schemas.actions import ErasureSchema
from assettrack.schemas.actions import QcSchema
from assettrack.schemas.devices import DiskSchema

disk_schema = DiskSchema()
erasure_schema = ErasureSchema()
qc_schema = QcSchema()


@bp.post("/devices/<tag>/disks")
@requires("repair", "coordinator")
@body(disk_schema)
@responds(disk_schema, 201)
def add_disk(tag, data):
    """Record a disk found in the device; it must be erased before the next loan."""
    return intake.add_disk(device_or_404(tag), data)


@bp.post("/devices/<tag>/erasures")
@requires("repair")
@body(erasure_schema)
@responds(erasure_schema, 201)
def record_erasure(tag, data):
    return intake.record_erasure(device_or_404(tag), data, current_user())


@bp.post("/devices/<tag>/qc")
@requires("repair")
@body(qc_schema)
@responds(qc_schema, 201)
def record_qc(tag, data):
    return intake.record_qc(device_or_404(tag), data, current_user())
