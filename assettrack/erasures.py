"""Erasure records per disk, and the policy they are held to."""

import sqlalchemy as sa

from assettrack.extensions import db
from assettrack.models import Device
from assettrack.models import Organisation
from assettrack.models import OrganisationKind
from assettrack.workflow.erasure import DEFAULT_POLICY
from assettrack.workflow.erasure import Policy


def policy_for(device: Device | None = None) -> Policy:
    """The level each media type needs before it may leave wiping.

    The digibank (the coordinating organisation) sets it; repair partners work
    to it. Without one set, `DEFAULT_POLICY`: Purge for flash, Clear for HDDs.
    """
    stored = db.session.scalar(
        sa.select(Organisation.erasure_policy)
        .where(Organisation.kind == OrganisationKind.coordinator)
        .where(Organisation.erasure_policy.is_not(None))
        .order_by(Organisation.id)
        .limit(1)
    )
    return Policy({**DEFAULT_POLICY.required, **stored}) if stored else DEFAULT_POLICY
