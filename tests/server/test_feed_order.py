"""The change feed's promise under concurrent writers: a cursor never skips a committed change.

Feed ids must become visible in the order they are handed out. On PostgreSQL every append
takes the feed lock, and its ids are drawn after the lock is granted (``append_status``
sends lock, rows and COMMIT in one message). The tests call the server's functions
directly on a fresh database of their own.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, func, insert, select, text

from server import offices
from server.catalogs import CatalogCache
from server.db import lock_feed
from server.feed import changes_page, ensure_cursor_key, set_status
from server.models import changes
from server.offices import AuthDevice
from sync.protocol import (
    ChangeKind,
    ItemStatus,
    PushResponse,
    RemoteState,
    StatusChange,
)
from tests.server.conftest import NOW, enrolled_device, push_items
from tests.support.server import sample_item
from tests.support.waiting import wait_until

OFFICE = "1001"


@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_a_push_waiting_for_the_feed_lock_is_numbered_after_the_holder(
    engine: Engine, db_kind: str
) -> None:
    """A rival transaction holds the feed lock (an earlier append on its way to commit);
    the push must wait for it, and its changes must get ids after the rival's: had they
    been drawn before the lock, the rival's commit would make a later id visible while the
    push's earlier ids were not yet, and a reader's cursor would step over them."""
    offices.add_office(engine, OFFICE, "دفتر", now=NOW)
    device = enrolled_device(engine, OFFICE, 1)
    items = [sample_item(OFFICE, seq, created_at=NOW) for seq in (1, 2, 3)]
    outcome: list[PushResponse] = []
    with engine.connect() as rival:
        lock_feed(rival)
        rival_pid = rival.execute(text("SELECT pg_backend_pid()")).scalar()
        thread = threading.Thread(
            target=lambda: outcome.append(
                push_items(engine, CatalogCache(), device, items, now=NOW, retry_after=5)
            )
        )
        thread.start()

        def push_waits_for_the_feed_lock() -> bool:
            with engine.connect() as probe:
                return bool(
                    probe.execute(
                        text(
                            "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"
                            " AND pid <> :rival AND datname = current_database()"
                        ),
                        {"rival": rival_pid},
                    ).scalar()
                )

        wait_until(push_waits_for_the_feed_lock, 30.0)
        rival_id = rival.execute(
            insert(changes)
            .values(
                kind=str(ChangeKind.STATUS),
                office_id=device.office_id,
                request_id="00000000-0000-4000-8000-00000000beef",
                state=str(RemoteState.COMPLETED),
                at=NOW,
            )
            .returning(changes.c.id)
        ).scalar_one()
        # Nothing of the push is visible while it waits.
        with engine.connect() as reader:
            assert (
                reader.execute(
                    select(func.count())
                    .select_from(changes)
                    .where(changes.c.request_id.in_([i["id"] for i in items]))
                ).scalar()
                == 0
            )
        rival.commit()
        thread.join(timeout=60)
    assert [r.status for r in outcome[0].results] == [ItemStatus.ACCEPTED] * 3
    with engine.connect() as conn:
        pushed_ids = (
            conn.execute(
                select(changes.c.id)
                .where(changes.c.request_id.in_([i["id"] for i in items]))
                .order_by(changes.c.id)
            )
            .scalars()
            .all()
        )
    assert len(pushed_ids) == 3 and min(pushed_ids) > rival_id


def test_a_reader_pulling_during_concurrent_pushes_misses_nothing(engine: Engine) -> None:
    """Several devices push at once while a PC of the office follows the feed with its
    cursor: at the end it has seen every accepted request exactly once."""
    offices.add_office(engine, OFFICE, "دفتر", now=NOW)
    devices = [enrolled_device(engine, OFFICE, n) for n in range(1, 5)]
    key = ensure_cursor_key(engine)
    cache = CatalogCache()
    accepted: list[str] = []
    lock = threading.Lock()

    def pc(device: AuthDevice) -> None:
        for batch in range(6):
            items = [sample_item(OFFICE, batch * 15 + k + 1, created_at=NOW) for k in range(15)]
            answer = push_items(engine, cache, device, items, now=NOW, retry_after=5)
            ids = [r.id for r in answer.results if r.status == ItemStatus.ACCEPTED]
            with lock:
                accepted.extend(ids)

    seen: list[str] = []
    cursor: str | None = None

    def pull() -> bool:
        nonlocal cursor
        page = changes_page(engine, key, devices[0].office_id, cursor, 50)
        assert not page.reset
        seen.extend(c.request_id for c in page.changes if isinstance(c, StatusChange))
        cursor = page.cursor
        return page.more

    threads = [threading.Thread(target=pc, args=(d,)) for d in devices]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        pull()
    for t in threads:
        t.join()
    while pull():
        pass
    assert len(accepted) == 4 * 6 * 15
    assert sorted(seen) == sorted(accepted)  # every one, none twice


@pytest.mark.parametrize(
    "reason",
    ["NULL", 'a "quoted", {braced} \\ back\'slash; -- not SQL', "کد پستی با نشانی نمی‌خواند"],
)
def test_status_reasons_are_stored_exactly(engine: Engine, reason: str) -> None:
    """The feed's rows are sent as arrays bound on the client (PostgreSQL): a reason that
    looks like NULL, or quotes and braces, comes back exactly as given."""
    offices.add_office(engine, OFFICE, "دفتر", now=NOW)
    device = enrolled_device(engine, OFFICE, 1)
    item = sample_item(OFFICE, 1, created_at=NOW)
    push_items(engine, CatalogCache(), device, [item], now=NOW, retry_after=5)
    set_status(
        engine, item["id"], RemoteState.NEEDS_CORRECTION, reason_fa=reason, reason_en=None, now=NOW
    )
    page = changes_page(engine, ensure_cursor_key(engine), device.office_id, None, 10)
    last = page.changes[-1]
    assert isinstance(last, StatusChange)
    assert (last.state, last.reason_fa, last.reason_en) == ("needs_correction", reason, None)
