"""Scan parts of a request (issue 12): what was scanned, its hash, its upload state.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

import desktop.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("document", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", desktop.db.types.UTCDateTime(), nullable=False),
        sa.Column("upload_state", sa.String(length=16), nullable=False),
        sa.Column("uploaded_at", desktop.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id", "position", name="uq_scan_parts_request_position"),
    )
    with op.batch_alter_table("scan_parts", schema=None) as batch_op:
        batch_op.create_index("ix_scan_parts_upload", ["upload_state", "id"], unique=False)
        batch_op.create_index("ix_scan_parts_sha256", ["sha256"], unique=False)
    op.execute(
        """
        CREATE TRIGGER scan_parts_content_immutable
        BEFORE UPDATE OF id, request_id, document, position, kind, media_type, pages, size,
            sha256, created_at
        ON scan_parts
        BEGIN
            SELECT RAISE(ABORT, 'scan parts are immutable once saved');
        END
        """
    )
    op.execute(
        """
        CREATE TRIGGER scan_parts_never_deleted
        BEFORE DELETE ON scan_parts
        BEGIN
            SELECT RAISE(ABORT, 'scan parts are never deleted');
        END
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS scan_parts_never_deleted")
    op.execute("DROP TRIGGER IF EXISTS scan_parts_content_immutable")
    with op.batch_alter_table("scan_parts", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_parts_sha256")
        batch_op.drop_index("ix_scan_parts_upload")
    op.drop_table("scan_parts")
