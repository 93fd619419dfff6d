"""a device's home location, filled from its history

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 13:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The rule of `assettrack.stock.new_home`, over the history: the lending place
# of the device's latest transfer to one, else where it was taken in (else
# where it is, for a device without history).
BACKFILL = """
UPDATE devices SET home_location_id = COALESCE(
    (SELECT e.location_id FROM workflow_events e
       JOIN locations l ON l.id = e.location_id
      WHERE e.device_id = devices.id AND e.action = 'transfer'
        AND l.kind = 'lending'
      ORDER BY e.id DESC LIMIT 1),
    (SELECT e.location_id FROM workflow_events e
      WHERE e.device_id = devices.id AND e.action = 'register'
      ORDER BY e.id LIMIT 1),
    devices.location_id)
"""


def upgrade():
    # SQLite adds a column with its reference in place; a batch rebuild of
    # `devices` would have to drop a table other rows refer to.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "devices",
        sa.Column(
            "home_location_id",
            sa.Integer(),
            sa.ForeignKey("locations.id", name="fk_devices_home_location_id_locations"),
            nullable=True,
        ),
        inline_references=sqlite,
    )
    op.create_index(
        "ix_devices_home_location_id", "devices", ["home_location_id"], unique=False
    )
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_index("ix_devices_home_location_id")
        batch_op.drop_column("home_location_id")
