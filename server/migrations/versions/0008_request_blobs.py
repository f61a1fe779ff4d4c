"""The scans each request carries (issue 12): its documents are complete when all are blobs.

Revision ID: 0008_request_blobs
Revises: 0006_blobs
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_request_blobs"
down_revision = "0006_blobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_blobs",
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("document", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", "position", name="pk_request_blobs"),
    )
    op.create_index("ix_request_blobs_blob", "request_blobs", ["office_id", "sha256"])


def downgrade() -> None:
    op.drop_index("ix_request_blobs_blob", table_name="request_blobs")
    op.drop_table("request_blobs")
