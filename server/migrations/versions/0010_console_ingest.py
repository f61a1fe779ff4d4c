"""The push path pays less for the console: no search trigger, no duplicate index.

- ``trg_requests_search`` (0005) parsed each new request's stored JSON again inside the
  database to find its national code; the push now writes ``request_search`` itself from
  the item it has already decoded (``server.console.search.add_requests``, in the same
  transaction). Requests stored until now were indexed by the trigger.
- ``ix_requests_office_id`` (0001) is a prefix of ``ix_requests_console_office_pk`` (0003):
  every look-up by office uses the longer one, and each insert paid for both.

Revision ID: 0010_console_ingest
Revises: 0009_update_state
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0010_console_ingest"
down_revision = "0009_update_state"
branch_labels = None
depends_on = None


# 0005's trigger, for a downgrade (requests pushed meanwhile are indexed already: the push
# wrote their rows).
SQLITE_TRIGGER = """
CREATE TRIGGER trg_requests_search AFTER INSERT ON requests
WHEN json_extract(NEW.payload, '$.applicant.national_code') IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO request_search (national_code, request_pk)
  VALUES (substr(json_extract(NEW.payload, '$.applicant.national_code'), 1, 16), NEW.pk);
END
"""
PG_FUNCTION = """
CREATE FUNCTION console_request_search() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  code text := (NEW.payload::json -> 'applicant' ->> 'national_code');
BEGIN
  IF code IS NOT NULL THEN
    INSERT INTO request_search (national_code, request_pk) VALUES (left(code, 16), NEW.pk)
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END
$$
"""
PG_TRIGGER = (
    "CREATE TRIGGER trg_requests_search AFTER INSERT ON requests"
    " FOR EACH ROW EXECUTE FUNCTION console_request_search()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS trg_requests_search")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_requests_search ON requests")
        op.execute("DROP FUNCTION IF EXISTS console_request_search()")
    op.drop_index("ix_requests_office_id", table_name="requests")


def downgrade() -> None:
    op.create_index("ix_requests_office_id", "requests", ["office_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
