"""One lifecycle state, stored once: ``outbox.status`` goes, ``requests.state`` stays.

The two said the same thing in other words (queued/sending/attention/done against the
request's states). Before the column goes, each request's state is made to say what the
outbox said wherever they could differ:

- "sending" becomes "queued" (nothing is in flight while the program is being upgraded;
  the start reclaimed such entries anyway);
- a request still queued/sending whose entry says "done" becomes "accepted", and one
  whose entry says "attention" becomes "needs_attention" (the program never wrote such
  pairs; this keeps a hand-edited or half-restored store from sending twice);
- an outbox entry still queued/sending beside a request the server already moved on (a
  feed change without its tracking code) keeps the request's state: the server has it, so
  it is no longer sent (before, it was sent once more to learn its tracking code; the
  server's feed carries the code with every change of a stored request);
- a request without an outbox entry is left as it is (doctor reports it).

No request row is rewritten otherwise: ``requests``' content triggers allow lifecycle
updates only, and this touches only ``state`` of in-flight rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE requests SET state = 'queued' WHERE state = 'sending'")
    for status, state in (("done", "accepted"), ("attention", "needs_attention")):
        # A probe of the outbox's key per queued request, not a set of every done id
        # (on a million-request store: about a second against most of a minute).
        op.execute(
            f"UPDATE requests SET state = '{state}' WHERE state = 'queued' AND EXISTS"
            " (SELECT 1 FROM outbox o WHERE o.request_id = requests.id"
            f" AND o.status = '{status}')"
        )
    op.drop_index("ix_outbox_status_seq", table_name="outbox")
    # SQLite ≥ 3.35 drops a column in place (no copy of the table through Python).
    op.execute("ALTER TABLE outbox DROP COLUMN status")


def downgrade() -> None:
    op.execute("ALTER TABLE outbox ADD COLUMN status VARCHAR(16) NOT NULL DEFAULT 'done'")
    op.execute(
        "UPDATE outbox SET status = (SELECT CASE r.state"
        " WHEN 'queued' THEN 'queued' WHEN 'sending' THEN 'sending'"
        " WHEN 'needs_attention' THEN 'attention' ELSE 'done' END"
        " FROM requests r WHERE r.id = outbox.request_id)"
    )
    op.create_index("ix_outbox_status_seq", "outbox", ["status", "seq"])
