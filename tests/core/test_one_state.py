"""One lifecycle state: the allowed moves, and migration 0003 that drops ``outbox.status``."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory
from desktop.db.engine import DB_FILENAME, Store, alembic_config
from desktop.intake import Intake
from desktop.office import initialise
from desktop.outbox import StoreQueue
from desktop.samples import sample_draft
from desktop.states import BACK_OFFICE, TRANSITIONS, WAITING, IllegalTransition, State, move


def test_every_move_is_declared_and_the_rest_refused() -> None:
    assert set(TRANSITIONS) == set(State)
    assert move(State.QUEUED, State.SENDING) is State.SENDING
    assert move("sending", State.QUEUED) is State.QUEUED
    assert move(State.NEEDS_ATTENTION, State.ACCEPTED) is State.ACCEPTED
    for settled in (State.ACCEPTED, *BACK_OFFICE):
        for waiting in WAITING:
            with pytest.raises(IllegalTransition):
                move(settled, waiting)
    with pytest.raises(IllegalTransition):
        move(State.NEEDS_ATTENTION, State.SENDING)
    assert move(State.QUEUED, State.QUEUED) is State.QUEUED  # staying put
    assert {s.phase for s in State} == {"queued", "sending", "attention", "done"}


def _columns(path: Path, table: str) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
    finally:
        con.close()


def test_migration_0003_keeps_every_request_and_says_in_the_state_what_the_outbox_said(
    tmp_path: Path,
) -> None:
    """A store as revision 0002 (the schema before this one) holds: one request of each kind,
    one in flight, and one whose outbox said "done" while it looked queued."""
    data = tmp_path / "data"
    store = Store.open(data)
    initialise(store, office_code="1001", office_name="دفتر", counter_no=1)
    catalogs = CatalogStore(store)
    catalogs.ensure_seeded()
    clerk = ClerkDirectory(store).create_manager("modir", "مدیر", "correct-horse")
    intake = Intake(store, catalogs)
    rng = random.Random(7)
    service = catalogs.current().services[0]
    saved = [intake.save(clerk, sample_draft(service, rng)) for _ in range(6)]
    store.close()
    path = data / DB_FILENAME
    states = ["queued", "sending", "accepted", "needs_attention", "completed", "queued"]
    con = sqlite3.connect(path)
    for req, state in zip(saved, states, strict=True):
        code = None if state in ("queued", "sending", "needs_attention") else f"PK-{req.seq}"
        con.execute(
            "UPDATE requests SET state = ?, tracking_code = ? WHERE id = ?", (state, code, req.id)
        )
    con.commit()
    before = con.execute("SELECT id, content_hash FROM requests ORDER BY seq").fetchall()
    con.close()

    from alembic import command

    command.downgrade(alembic_config(path), "0002")
    assert "status" in _columns(path, "outbox")
    con = sqlite3.connect(path)
    said = [r[0] for r in con.execute("SELECT status FROM outbox ORDER BY seq")]
    assert said == ["queued", "sending", "done", "attention", "done", "queued"]
    # A pair the program never wrote (a hand-edited store): settled, yet the state waits.
    con.execute("UPDATE outbox SET status = 'done' WHERE request_id = ?", (saved[5].id,))
    con.commit()
    con.close()

    store = Store.open(data)  # migrates 0002 -> head, keeping a backup first
    try:
        assert "status" not in _columns(path, "outbox")
        assert list((data / "backups").glob("pishkhan-0002-*.sqlite3"))
        con = sqlite3.connect(path)
        after = con.execute("SELECT id, content_hash FROM requests ORDER BY seq").fetchall()
        got = [r[0] for r in con.execute("SELECT state FROM requests ORDER BY seq")]
        assert con.execute("SELECT count(*) FROM outbox").fetchone()[0] == 6
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        assert after == before  # not one request lost or changed
        assert got == ["queued", "queued", "accepted", "needs_attention", "completed", "accepted"]
        sent = StoreQueue(store).next_batch(10)
        assert [i.id for i in sent] == [saved[0].id, saved[1].id]
    finally:
        store.close()
