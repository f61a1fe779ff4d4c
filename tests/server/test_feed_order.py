"""The change feed's promise under concurrent writers: a cursor never skips a committed change.

Feed ids must become visible in the order they are handed out. On PostgreSQL every append
takes the feed lock, and its ids are drawn after the lock is granted (``append_status``
sends lock, rows and COMMIT in one message). The tests call the server's functions
directly on a fresh database of their own.
"""

from __future__ import annotations

import json
import queue
import threading

import msgspec
import pytest
from sqlalchemy import Engine, func, insert, select, text

from rules.catalog import demo_catalog_path
from server import offices
from server.catalogs import CatalogCache, publish_catalog
from server.db import lock_feed
from server.feed import changes_page, ensure_cursor_key, set_status
from server.models import changes
from server.offices import AuthDevice
from server.push import push
from sync.protocol import (
    ChangeKind,
    CompactPushResponse,
    ItemStatus,
    PushResponse,
    RemoteState,
    StatusChange,
    decode,
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


def test_each_pc_skips_only_its_own_acceptances_under_concurrent_pushes(engine: Engine) -> None:
    """Revision 2: four PCs of one office push at once (compact answers), each following
    the feed without its own acceptances, while the back office decides requests of all of
    them and a catalogue version is published. Each PC ends with every acceptance of the
    other counters, every decision (on its own requests too) and every catalogue version,
    each exactly once, and none of its own acceptances: those its push answers carried."""
    offices.add_office(engine, OFFICE, "دفتر", now=NOW)
    devices = [enrolled_device(engine, OFFICE, n) for n in range(1, 5)]
    key = ensure_cursor_key(engine)
    cache = CatalogCache()
    lock = threading.Lock()
    accepted: dict[str, list[str]] = {d.id: [] for d in devices}  # from the push answers
    codes: dict[str, str] = {}
    decided: list[tuple[str, str]] = []
    seen: dict[str, list[tuple[str, str | None]]] = {d.id: [] for d in devices}
    catalogs: dict[str, list[int]] = {d.id: [] for d in devices}
    cursors: dict[str, str | None] = {d.id: None for d in devices}
    batches: queue.Queue[str | None] = queue.Queue()

    def pull(device: AuthDevice) -> bool:
        page = changes_page(
            engine, key, device.office_id, cursors[device.id], 40, skip_device=device.id
        )
        assert not page.reset
        for change in page.changes:
            if isinstance(change, StatusChange):
                seen[device.id].append((change.request_id, str(change.state)))
                assert change.tracking_code == codes.get(change.request_id, change.tracking_code)
            else:
                catalogs[device.id].append(change.version)
        cursors[device.id] = page.cursor
        return page.more

    def pc(device: AuthDevice, first_seq: int) -> None:
        for batch in range(6):
            items = [
                sample_item(OFFICE, first_seq + batch * 15 + k, created_at=NOW) for k in range(15)
            ]
            raws = [msgspec.Raw(msgspec.json.encode(item)) for item in items]
            answer = push(engine, cache, device, raws, now=NOW, retry_after=5, revision=2)
            compact = decode(answer, CompactPushResponse)
            results = compact.expanded([item["id"] for item in items]).results
            with lock:
                for r in results:
                    assert r.status == ItemStatus.ACCEPTED and r.tracking_code
                    accepted[device.id].append(str(r.id))
                    codes[str(r.id)] = r.tracking_code
            batches.put(str(results[batch % len(results)].id))
            pull(device)  # the round's pull, right after its pushes

    def back_office() -> None:
        """One decision per pushed batch, as the batches come (and a catalogue version
        after the fifth): decisions interleave with the pushes and pulls."""
        states = [RemoteState.NEEDS_CORRECTION, RemoteState.COMPLETED]
        n = 0
        while (request_id := batches.get()) is not None:
            state = states[n % 2]
            set_status(engine, request_id, state, reason_fa=None, reason_en=None, now=NOW)
            decided.append((request_id, str(state)))
            n += 1
            if n == 5:
                publish_catalog(engine, _demo_document(), now=NOW)

    workers = [threading.Thread(target=pc, args=(d, 1)) for d in devices]
    office_thread = threading.Thread(target=back_office)
    for t in [*workers, office_thread]:
        t.start()
    for t in workers:
        t.join()
    batches.put(None)
    office_thread.join()
    for device in devices:
        while pull(device):
            pass

    assert sum(len(ids) for ids in accepted.values()) == 4 * 6 * 15
    published = _published_versions(engine)
    assert len(published) == 2 and len(decided) == 4 * 6
    for device in devices:
        others = [
            (i, str(RemoteState.ACCEPTED))
            for d, ids in accepted.items()
            if d != device.id
            for i in ids
        ]
        assert sorted(seen[device.id]) == sorted(others + decided)  # each once, none skipped
        own = set(accepted[device.id])
        assert not [s for s in seen[device.id] if s[0] in own and s[1] == "accepted"]
        assert catalogs[device.id] == published


def _demo_document() -> dict[str, object]:
    document: dict[str, object] = json.loads(demo_catalog_path().read_text(encoding="utf-8"))
    return document


def _published_versions(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [
            int(v)
            for v in conn.execute(
                select(changes.c.catalog_version)
                .where(changes.c.kind == str(ChangeKind.CATALOG))
                .order_by(changes.c.id)
            ).scalars()
        ]
