"""Heartbeat history for the console's office page: ``device_heartbeats``.

The heartbeat route (``server.monitoring.record_heartbeat``) keeps only each PC's last
report, on its ``devices`` row. A trigger on that row keeps a sample of them: one row per
PC per 15 minutes at most (a PC reports on every sync round, about once a minute), and
drops a PC's rows older than 7 days as it adds one, so the table stays bounded (~700 rows
a PC) without a cleaning job. The heartbeat path itself is unchanged.

Revision ID: 0004_console_heartbeats
Revises: 0003_console
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_console_heartbeats"
down_revision = "0003_console"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
COLUMNS = "device_id, at, queue_depth, oldest_waiting_seconds, attention, app_version"
VALUES = (
    "NEW.id, NEW.last_heartbeat_at, NEW.queue_depth, NEW.oldest_waiting_seconds,"
    " NEW.attention, NEW.app_version"
)

SQLITE_TRIGGER = f"""
CREATE TRIGGER trg_devices_heartbeat_history AFTER UPDATE OF last_heartbeat_at ON devices
WHEN NEW.last_heartbeat_at IS NOT NULL
 AND NEW.last_heartbeat_at IS NOT OLD.last_heartbeat_at
 AND NOT EXISTS (SELECT 1 FROM device_heartbeats h WHERE h.device_id = NEW.id
                 AND h.at > datetime(NEW.last_heartbeat_at, '-15 minutes'))
BEGIN
  INSERT INTO device_heartbeats ({COLUMNS}) VALUES ({VALUES});
  DELETE FROM device_heartbeats
   WHERE device_id = NEW.id AND at < datetime(NEW.last_heartbeat_at, '-7 days');
END
"""

PG_FUNCTION = f"""
CREATE FUNCTION console_heartbeat_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.last_heartbeat_at IS NOT NULL
     AND NEW.last_heartbeat_at IS DISTINCT FROM OLD.last_heartbeat_at
     AND NOT EXISTS (SELECT 1 FROM device_heartbeats h WHERE h.device_id = NEW.id
                     AND h.at > NEW.last_heartbeat_at - interval '15 minutes') THEN
    INSERT INTO device_heartbeats ({COLUMNS}) VALUES ({VALUES});
    DELETE FROM device_heartbeats
     WHERE device_id = NEW.id AND at < NEW.last_heartbeat_at - interval '7 days';
  END IF;
  RETURN NULL;
END
$$
"""
PG_TRIGGER = (
    "CREATE TRIGGER trg_devices_heartbeat_history AFTER UPDATE OF last_heartbeat_at"
    " ON devices FOR EACH ROW EXECUTE FUNCTION console_heartbeat_history()"
)


def upgrade() -> None:
    op.create_table(
        "device_heartbeats",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("queue_depth", sa.Integer(), nullable=False),
        sa.Column("oldest_waiting_seconds", sa.Integer(), nullable=True),
        sa.Column("attention", sa.Integer(), nullable=False),
        sa.Column("app_version", sa.String(40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_device_heartbeats"),
        sa.ForeignKeyConstraint(
            ["device_id"], ["devices.id"], name="fk_device_heartbeats_device_id_devices"
        ),
    )
    op.create_index("ix_device_heartbeats_device_id_at", "device_heartbeats", ["device_id", "at"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER trg_devices_heartbeat_history")
    else:
        op.execute("DROP TRIGGER trg_devices_heartbeat_history ON devices")
        op.execute("DROP FUNCTION console_heartbeat_history()")
    op.drop_table("device_heartbeats")
