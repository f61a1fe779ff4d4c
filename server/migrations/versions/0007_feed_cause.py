"""The device whose push caused a feed row: ``changes.device_id``.

A push's answer already tells its device which items were accepted, with their tracking
codes; the feed need not say it again to that device (issue 11). Acceptances appended by a
push record the pushing device; every other row (back-office decisions, catalogue
versions, rows from before this revision) has NULL and goes to every PC of the office.

Revision ID: 0007_feed_cause
Revises: 0010_console_ingest
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_feed_cause"
down_revision = "0010_console_ingest"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable, no default: on both databases an instant change of the table's definition.
    op.add_column("changes", sa.Column("device_id", sa.String(36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("changes") as batch:
        batch.drop_column("device_id")
