"""The push's database work, called directly: the UNIQUE(id) race between two devices.

On PostgreSQL a push that looked up an id before another transaction committed it trips
the unique index on insert; the batch is retried once and then answers ``duplicate``.
The test makes that interleaving happen for certain: another connection holds an
uncommitted row with the id until the push is seen waiting on it.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine, insert, text

from server import offices
from server.catalogs import CatalogCache
from server.db import is_sqlite
from server.models import requests
from sync.protocol import ItemStatus, PushResponse
from tests.server.conftest import NOW, enrolled_device, push_items
from tests.support.server import sample_item
from tests.support.waiting import wait_until

OFFICE = "1001"


def test_losing_the_unique_id_race_answers_duplicate(engine: Engine) -> None:
    offices.add_office(engine, OFFICE, "دفتر", now=NOW)
    winner, loser = enrolled_device(engine, OFFICE, 1), enrolled_device(engine, OFFICE, 2)
    item = sample_item(OFFICE, 1, created_at=NOW)
    cache = CatalogCache()
    outcome: list[PushResponse] = []

    def push_as_loser() -> None:
        outcome.append(push_items(engine, cache, loser, [item], now=NOW, retry_after=5))

    if is_sqlite(engine):
        # One writer at a time: the loser simply finds the winner's row.
        push_items(engine, cache, winner, [item], now=NOW, retry_after=5)
        push_as_loser()
    else:
        with engine.connect() as rival:
            rival.execute(
                insert(requests).values(
                    pk=10_000_000,
                    id=item["id"],
                    office_id=winner.office_id,
                    device_id=winner.id,
                    seq=1,
                    reference="r",
                    clerk="c",
                    service_code="bill_payment",
                    catalog_version=1,
                    content_hash=item["content_hash"],
                    payload="{}",
                    tracking_code="PK-1001-0010000000",
                    state="accepted",
                    created_at=NOW,
                    received_at=NOW,
                    state_changed_at=NOW,
                )
            )
            rival_pid = rival.execute(text("SELECT pg_backend_pid()")).scalar()
            thread = threading.Thread(target=push_as_loser)
            thread.start()

            def loser_blocked() -> bool:
                with engine.connect() as probe:
                    return bool(
                        probe.execute(
                            text(
                                "SELECT count(*) FROM pg_stat_activity "
                                "WHERE wait_event_type = 'Lock' AND pid <> :rival "
                                "AND datname = current_database()"
                            ),
                            {"rival": rival_pid},
                        ).scalar()
                    )

            wait_until(loser_blocked, 30.0)
            rival.commit()
            thread.join(timeout=60)
    [answer] = outcome[0].results
    assert answer.status == ItemStatus.DUPLICATE
    assert answer.tracking_code is not None


def test_direct_push_accepts_and_numbers(engine: Engine) -> None:
    offices.add_office(engine, OFFICE, "دفتر", now=NOW)
    device = enrolled_device(engine, OFFICE, 1)
    items = [sample_item(OFFICE, seq, created_at=NOW) for seq in (1, 2, 3)]
    response = push_items(engine, CatalogCache(), device, items, now=NOW, retry_after=5)
    assert [r.status for r in response.results] == [ItemStatus.ACCEPTED] * 3
    numbers = [int(str(r.tracking_code).rsplit("-", 1)[1]) for r in response.results]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert response.server_time == "2026-11-28T09:15:00.000Z"
