"""What each PC's updater last reported (issue 16): ``devices.update_state``.

The heartbeat carries it (``up_to_date``, ``downloading``, ``ready``, ``switched``,
``rolled_back``, ``refused``); the route keeps the last one on the PC's row, beside its
``app_version``, so the fleet view can show who is behind and whose update failed.

Revision ID: 0009_update_state
Revises: 0008_request_blobs
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_update_state"
down_revision = "0008_request_blobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # server_default: the rows of PCs enrolled before this version get "" (not reported).
    # A plain ALTER TABLE on both databases: a batch copy of ``devices`` on SQLite would
    # drop the console's heartbeat trigger on it (0004).
    op.add_column(
        "devices", sa.Column("update_state", sa.String(20), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("devices", "update_state")  # SQLite >= 3.35 drops a column in place
