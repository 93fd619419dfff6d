"""devices in transit: sent by a transfer, not yet received

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 15:00:00

A transfer recorded before this revision moved the device at once (one scan);
from here on it sends the device and a `receive` takes it in. No device is in
transit after the upgrade.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STOCK = ["location_id", "home_location_id", "state", "kind"]


def upgrade():
    # As in 0009: SQLite adds a column with its reference in place.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "devices",
        sa.Column(
            "in_transit_to_id",
            sa.Integer(),
            sa.ForeignKey("locations.id", name="fk_devices_in_transit_to_id_locations"),
            nullable=True,
        ),
        inline_references=sqlite,
    )
    op.add_column(
        "devices", sa.Column("in_transit_since", sa.DateTime(), nullable=True)
    )
    # The stock counts read the transit column too: keep them index-only.
    op.drop_index("ix_devices_stock", table_name="devices")
    op.create_index("ix_devices_stock", "devices", [*STOCK, "in_transit_to_id"])
    op.create_index("ix_devices_in_transit_to_id", "devices", ["in_transit_to_id"])


def downgrade():
    op.drop_index("ix_devices_in_transit_to_id", table_name="devices")
    op.drop_index("ix_devices_stock", table_name="devices")
    op.create_index("ix_devices_stock", "devices", STOCK)
    with op.batch_alter_table("devices", schema=None) as batch_op:
        batch_op.drop_column("in_transit_since")
        batch_op.drop_column("in_transit_to_id")
