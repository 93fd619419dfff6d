"""stock-takes: a room counted by scanning its labels

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 15:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stock_takes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("corrected_at", sa.DateTime(), nullable=True),
        sa.Column("lists", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_stock_takes_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["started_by_id"],
            ["users.id"],
            name=op.f("fk_stock_takes_started_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_takes")),
    )
    op.create_index(op.f("ix_stock_takes_location_id"), "stock_takes", ["location_id"])
    # One open count per place, even when two people start at once.
    op.create_index(
        "ix_stock_takes_open_per_location",
        "stock_takes",
        ["location_id"],
        unique=True,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )
    op.create_table(
        "stock_take_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stock_take_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("scanned_at", sa.DateTime(), nullable=False),
        sa.Column("scanned_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["devices.id"],
            name=op.f("fk_stock_take_scans_device_id_devices"),
        ),
        sa.ForeignKeyConstraint(
            ["scanned_by_id"],
            ["users.id"],
            name=op.f("fk_stock_take_scans_scanned_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["stock_take_id"],
            ["stock_takes.id"],
            name=op.f("fk_stock_take_scans_stock_take_id_stock_takes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_take_scans")),
        sa.UniqueConstraint(
            "stock_take_id",
            "device_id",
            name=op.f("uq_stock_take_scans_stock_take_id"),
        ),
    )
    op.create_index(
        op.f("ix_stock_take_scans_stock_take_id"),
        "stock_take_scans",
        ["stock_take_id"],
    )
    op.create_index(
        op.f("ix_stock_take_scans_device_id"), "stock_take_scans", ["device_id"]
    )


def downgrade():
    op.drop_index(op.f("ix_stock_take_scans_device_id"), table_name="stock_take_scans")
    op.drop_index(
        op.f("ix_stock_take_scans_stock_take_id"), table_name="stock_take_scans"
    )
    op.drop_table("stock_take_scans")
    op.drop_index("ix_stock_takes_open_per_location", table_name="stock_takes")
    op.drop_index(op.f("ix_stock_takes_location_id"), table_name="stock_takes")
    op.drop_table("stock_takes")
