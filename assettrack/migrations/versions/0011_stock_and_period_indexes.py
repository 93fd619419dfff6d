"""indexes for the stock counts and for figures per period

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 13:55:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_devices_stock",
        "devices",
        ["location_id", "home_location_id", "state", "kind"],
    )
    op.create_index("ix_workflow_events_action_at", "workflow_events", ["action", "at"])


def downgrade():
    op.drop_index("ix_workflow_events_action_at", table_name="workflow_events")
    op.drop_index("ix_devices_stock", table_name="devices")
