"""Push receipts (issue 11): ``push_receipts``, the answer of each push that named a batch key.

A PC whose push answer was lost or cut (the line broke after the server stored the batch)
asks for the receipt by the key it sent, one small GET, instead of resending the whole
batch (some 50 KiB, 1.6 s of a 256 kbit/s line). Stored in the push's own transaction;
pruned as pushes come (``server.receipts``).

Revision ID: 0011_push_receipts
Revises: 0007_feed_cause
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_push_receipts"
down_revision = "0007_feed_cause"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_receipts",
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(36), nullable=False),
        sa.Column("answer", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_push_receipts_device_id_devices"
        ),
        sa.PrimaryKeyConstraint("device_id", "key", name="pk_push_receipts"),
    )


def downgrade() -> None:
    op.drop_table("push_receipts")
