"""Quality checks: the checklist a device is checked against, and its checks."""

from assettrack import quality
from assettrack.api import bp
from assettrack.api.io import body
from assettrack.api.io import found
from assettrack.api.io import reachable_device
from assettrack.api.io import responds
from assettrack.auth import current_user
from assettrack.auth import requires
from assettrack.devices import device_or_404
from assettrack.schemas.quality import QcSchema
from assettrack.schemas.quality import QcTemplateSchema
from assettrack.schemas.quality import QcTemplatesSchema

qc_schema = QcSchema()


@bp.post("/devices/<tag>/qc")
@requires("repair")
@found("tag", reachable_device, into="device")
@body(qc_schema)
@responds(qc_schema, 201)
def record_qc(device, data):
    """Record a check (complete or partial); the answer has its lendability."""
    return quality.record_qc(device, data, current_user())


@bp.get("/devices/<tag>/qc")
@requires()
@responds(QcSchema(many=True))
def device_checks(tag):
    """The device's quality checks, newest first."""
    return quality.checks_of(device_or_404(tag, current_user()))


@bp.get("/devices/<tag>/qc/template")
@requires()
@responds(QcTemplateSchema())
def device_checklist(tag):
    """The checklist this device is checked against, for a form."""
    return quality.template_for(device_or_404(tag, current_user()))


@bp.get("/qc-templates")
@requires()
@responds(QcTemplatesSchema())
def qc_templates():
    """Every current checklist, the grades and the lendability classes."""
    return {}
