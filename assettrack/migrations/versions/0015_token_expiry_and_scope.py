"""API tokens expire and have a scope (read, or write)

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 16:05:00

Tokens made before this revision keep no expiry (expires_at NULL) and the
write scope they had; new ones expire (`flask token create --days`).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "scope", sa.String(length=10), server_default="write", nullable=False
            )
        )


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("scope")
        batch_op.drop_column("expires_at")
