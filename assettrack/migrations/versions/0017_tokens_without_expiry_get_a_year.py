"""Tokens made before tokens expired get a year from the upgrade

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 19:05:00

Revision 0015 left the tokens it found without an expiry. A token that never
expires is one nobody remembers to revoke, so each now lasts a year from the
upgrade, as a new token does (auth.DEFAULT_TOKEN_DAYS). Stepping back keeps the
dates: which tokens had none is not worth a column.
"""

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

A_YEAR = timedelta(days=365)


def upgrade():
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime()))
    until = datetime.now(UTC).replace(tzinfo=None) + A_YEAR  # stored as naive UTC
    op.execute(
        tokens.update().where(tokens.c.expires_at.is_(None)).values(expires_at=until)
    )


def downgrade():
    pass
