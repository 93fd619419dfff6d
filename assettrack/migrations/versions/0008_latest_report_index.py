"""a device's latest health report by sequence number, from an index

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 12:50:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_health_reports_device_id_seq", "health_reports", ["device_id", "seq"]
    )


def downgrade():
    op.drop_index("ix_health_reports_device_id_seq", table_name="health_reports")
