"""The audit trail: who changed people, tokens, places and policies (issue 8)."""

import sqlalchemy as sa

from assettrack.api import bp
from assettrack.api.io import paginate
from assettrack.api.io import query
from assettrack.api.io import responds
from assettrack.auth import requires
from assettrack.models import AuditEntry
from assettrack.schemas.audit import AuditEntrySchema
from assettrack.schemas.common import PageQuery
from assettrack.schemas.common import page_of


@bp.get("/audit")
@requires("coordinator")
@query(PageQuery())
@responds(page_of(AuditEntrySchema)())
def audit_trail(args):
    """Changes made outside the workflow, newest first (the workflow has events)."""
    return paginate(sa.select(AuditEntry).order_by(AuditEntry.id.desc()), **args)
