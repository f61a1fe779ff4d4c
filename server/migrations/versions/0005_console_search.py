"""The national-code search of the console, as a table of its own: ``request_search``.

Migration 0003_console found national codes through an expression index on the stored
item (``payload``). An expression index cannot be reflected on SQLite (SQLAlchemy warns
and skips it), so the schema could no longer be compared with the models. Instead a
trigger on ``requests`` (SQLite and PostgreSQL) writes each new request's national code
and key to ``request_search`` (the same JSON path the index used); the push path's code is
unchanged. Requests stored before are copied over here.

Revision ID: 0005_console_search
Revises: 0004_console_heartbeats
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_console_search"
down_revision = "0004_console_heartbeats"
branch_labels = None
depends_on = None

SQLITE_CODE = "json_extract({row}.payload, '$.applicant.national_code')"
PG_CODE = "({row}.payload::json -> 'applicant' ->> 'national_code')"

SQLITE_TRIGGER = f"""
CREATE TRIGGER trg_requests_search AFTER INSERT ON requests
WHEN {SQLITE_CODE.format(row="NEW")} IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO request_search (national_code, request_pk)
  VALUES (substr({SQLITE_CODE.format(row="NEW")}, 1, 16), NEW.pk);
END
"""
PG_FUNCTION = f"""
CREATE FUNCTION console_request_search() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  code text := {PG_CODE.format(row="NEW")};
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
    op.drop_index("ix_requests_console_national_code", table_name="requests")
    op.create_table(
        "request_search",
        sa.Column("national_code", sa.String(16), nullable=False),
        sa.Column("request_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("national_code", "request_pk", name="pk_request_search"),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    code = (SQLITE_CODE if sqlite else PG_CODE).format(row="requests")
    op.execute(
        f"INSERT INTO request_search (national_code, request_pk)"
        f" SELECT substr({code}, 1, 16), pk FROM requests WHERE {code} IS NOT NULL"
    )
    if sqlite:
        op.execute(SQLITE_TRIGGER)
    else:
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER trg_requests_search")
        expression = "json_extract(payload, '$.applicant.national_code')"
    else:
        op.execute("DROP TRIGGER trg_requests_search ON requests")
        op.execute("DROP FUNCTION console_request_search()")
        expression = "(payload::json -> 'applicant' ->> 'national_code')"
    op.drop_table("request_search")
    op.create_index("ix_requests_console_national_code", "requests", [sa.text(expression)])
