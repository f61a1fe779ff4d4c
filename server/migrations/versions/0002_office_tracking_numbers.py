"""Tracking numbers per office: ``offices.last_tracking``.

Tracking codes used to be numbered from one national counter (the requests' key), so every
office could read the volume of all offices from its own codes. Each office now numbers
its own. Codes already handed out stay valid and unique: an office's counter starts at
the highest key among its own requests, so its next code is above all of its old ones.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("offices") as batch:
        batch.add_column(
            sa.Column("last_tracking", sa.BigInteger(), nullable=False, server_default="0")
        )
    op.execute(
        "UPDATE offices SET last_tracking = coalesce("
        "(SELECT max(pk) FROM requests WHERE requests.office_id = offices.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("offices") as batch:
        batch.drop_column("last_tracking")
