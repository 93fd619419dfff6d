"""room for the XLSX media type in a job's result type

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 13:20:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("background_jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "result_type",
            existing_type=sa.String(length=60),
            type_=sa.String(length=100),
            existing_nullable=True,
        )


def downgrade():
    with op.batch_alter_table("background_jobs", schema=None) as batch_op:
        batch_op.alter_column(
            "result_type",
            existing_type=sa.String(length=100),
            type_=sa.String(length=60),
            existing_nullable=True,
        )
