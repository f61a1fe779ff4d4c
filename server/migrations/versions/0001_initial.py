"""Initial schema: offices, enrolment codes, devices, requests, change feed, catalogues.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "server_meta",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_server_meta"),
    )
    op.create_table(
        "offices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_offices"),
        sa.UniqueConstraint("code", name="uq_offices_code"),
    )
    op.create_table(
        "enrolment_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("used_by_device_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_enrolment_codes"),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name="fk_enrolment_codes_office_id_offices"
        ),
        sa.UniqueConstraint("code_hash", name="uq_enrolment_codes_code_hash"),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("counter_no", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("enrolled_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("app_version", sa.String(40), nullable=False),
        sa.Column("last_seen_at", TS, nullable=True),
        sa.Column("last_heartbeat_at", TS, nullable=True),
        sa.Column("queue_depth", sa.Integer(), nullable=False),
        sa.Column("oldest_waiting_seconds", sa.Integer(), nullable=True),
        sa.Column("attention", sa.Integer(), nullable=False),
        sa.Column("reported_last_seq", sa.BigInteger(), nullable=False),
        sa.Column("seq_max", sa.BigInteger(), nullable=False),
        sa.Column("seq_seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_devices"),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_devices_office_id_offices"),
        sa.UniqueConstraint("token_hash", name="uq_devices_token_hash"),
    )
    op.create_index("ix_devices_office_id", "devices", ["office_id"])
    op.create_index(
        "uq_devices_active_counter",
        "devices",
        ["office_id", "counter_no"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "device_seqs",
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "seq", name="pk_device_seqs"),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_device_seqs_device_id_devices"
        ),
    )
    op.create_table(
        "requests",
        sa.Column("pk", BigKey, autoincrement=True, nullable=False),
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("clerk", sa.String(64), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("catalog_version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("tracking_code", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("supersedes", sa.String(36), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("state_changed_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_requests"),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name="fk_requests_office_id_offices"
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_requests_device_id_devices"
        ),
        sa.UniqueConstraint("id", name="uq_requests_id"),
        sa.UniqueConstraint("tracking_code", name="uq_requests_tracking_code"),
        sa.UniqueConstraint("device_id", "seq", name="uq_requests_device_seq"),
    )
    op.create_index("ix_requests_office_id", "requests", ["office_id"])
    op.create_table(
        "changes",
        sa.Column("id", BigKey, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("state", sa.String(20), nullable=True),
        sa.Column("reason_fa", sa.Text(), nullable=True),
        sa.Column("reason_en", sa.Text(), nullable=True),
        sa.Column("tracking_code", sa.String(40), nullable=True),
        sa.Column("catalog_version", sa.Integer(), nullable=True),
        sa.Column("at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_changes"),
        sa.ForeignKeyConstraint(["office_id"], ["offices.id"], name="fk_changes_office_id_offices"),
    )
    op.create_index("ix_changes_office_id_id", "changes", ["office_id", "id"])
    op.create_table(
        "catalog_versions",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_catalog_versions"),
    )


def downgrade() -> None:
    for table in (
        "catalog_versions",
        "changes",
        "requests",
        "device_seqs",
        "devices",
        "enrolment_codes",
        "offices",
        "server_meta",
    ):
        op.drop_table(table)
