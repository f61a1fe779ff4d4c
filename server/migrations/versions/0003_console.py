"""The centre's web console: staff accounts, scopes, sessions, audit log, office provinces;
and the indexes the console's inbox reads requests by (keyset pages by ``pk``).

The national code lives inside the stored item (``payload``, canonical JSON): it is found
through an expression index, the same expression the inbox query uses
(``server.console.inbox.national_code_expr``), so pushes store nothing new.

Revision ID: 0003_console
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_console"
down_revision = "0002"
branch_labels = None
depends_on = None

BigKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

NATIONAL_CODE_SQLITE = "json_extract(payload, '$.applicant.national_code')"
NATIONAL_CODE_PG = "(payload::json -> 'applicant' ->> 'national_code')"


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_login_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_staff_accounts"),
        sa.UniqueConstraint("username", name="uq_staff_accounts_username"),
    )
    op.create_table(
        "staff_scopes",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "kind", "value", name="pk_staff_scopes"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["staff_accounts.id"], name="fk_staff_scopes_account_id_staff_accounts"
        ),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("last_seen_at", TS, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_staff_sessions"),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["staff_accounts.id"],
            name="fk_staff_sessions_account_id_staff_accounts",
        ),
    )
    op.create_index("ix_staff_sessions_account_id", "staff_sessions", ["account_id"])
    op.create_table(
        "staff_audit",
        sa.Column("id", BigKey, autoincrement=True, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_staff_audit"),
    )
    op.create_index("ix_staff_audit_account_id_id", "staff_audit", ["account_id", "id"])
    op.create_table(
        "office_provinces",
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("office_id", name="pk_office_provinces"),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name="fk_office_provinces_office_id_offices"
        ),
    )
    op.create_index(
        "ix_office_provinces_province", "office_provinces", ["province", "office_id"]
    )
    # The inbox: newest first by pk, within an office or a state; search by reference and
    # national code (tracking codes are unique already).
    op.create_index("ix_requests_console_office_pk", "requests", ["office_id", "pk"])
    op.create_index("ix_requests_console_state_pk", "requests", ["state", "pk"])
    op.create_index("ix_requests_console_reference", "requests", ["reference"])
    expression = (
        NATIONAL_CODE_SQLITE if op.get_bind().dialect.name == "sqlite" else NATIONAL_CODE_PG
    )
    op.create_index(
        "ix_requests_console_national_code", "requests", [sa.text(expression)]
    )


def downgrade() -> None:
    for name in (
        "ix_requests_console_national_code",
        "ix_requests_console_reference",
        "ix_requests_console_state_pk",
        "ix_requests_console_office_pk",
    ):
        op.drop_index(name, table_name="requests")
    op.drop_table("office_provinces")
    op.drop_table("staff_audit")
    op.drop_table("staff_sessions")
    op.drop_table("staff_scopes")
    op.drop_table("staff_accounts")
