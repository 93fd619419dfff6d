"""a device's events in order, with the columns time-in-state reads

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 15:00:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    # On PostgreSQL the index carries the time and the states (INCLUDE), so
    # the stays per state are read from it alone (an index-only scan).
    op.create_index(
        "ix_workflow_events_device_id",
        "workflow_events",
        ["device_id", "id"],
        postgresql_include=["at", "from_state", "to_state"],
    )


def downgrade():
    op.drop_index("ix_workflow_events_device_id", table_name="workflow_events")
