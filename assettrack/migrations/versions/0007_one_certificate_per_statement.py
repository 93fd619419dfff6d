"""one certificate per statement (scope, subject, covers, language)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 12:40:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    # Two requests for the same certificate at once could each issue one. Both
    # stay valid (donors may hold either PDF); the later ones only stop being
    # "the" certificate of their statement, which the index needs.
    op.execute(
        "UPDATE certificates SET covers = 'duplicate-' || id WHERE id NOT IN ("
        " SELECT min(id) FROM certificates"
        " GROUP BY scope, coalesce(device_id, donation_id), covers, language)"
    )
    op.create_index(
        "uq_certificates_statement",
        "certificates",
        [
            "scope",
            sa.text("coalesce(device_id, donation_id)"),
            "covers",
            "language",
        ],
        unique=True,
    )


def downgrade():
    op.drop_index("uq_certificates_statement", table_name="certificates")
