"""The fleet page's figures from the database (``server.console.fleet_query``) are the
server's own (``monitoring.stuck_offices``, which ranks in Python over every PC's row):
the same offices, figures and order, the same stuck ones, the same province sums, on both
databases, over a fleet with every kind of PC (waiting, set aside, never heard, silent for
days, a clock ahead of the server's, revoked, several PCs an office, no province)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, update

from server.app import prepare_database
from server.console.fleet import NO_PROVINCE, SILENT, STUCK_SHOWN, STUCK_WAIT, fleet
from server.console.models import office_provinces
from server.db import make_engine
from server.models import devices
from server.monitoring import OfficeHealth, record_heartbeat, stuck_offices
from server.offices import add_office, create_enrolment_code, enrol
from sync.protocol import EnrolRequest, Heartbeat
from tests.support.server import postgres_base_url, postgres_schema_url

NOW = dt.datetime(2026, 12, 3, 8, 0, 0, tzinfo=dt.UTC)
PROVINCES = ("fars", "gilan", "yazd", None)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    base = postgres_base_url()
    assert base is not None
    with postgres_schema_url(base) as url:
        yield url


def _enrol(engine: Engine, office_code: str, counter: int) -> str:
    device_id = str(uuid.uuid4())
    code = create_enrolment_code(engine, office_code, ttl_hours=1, now=NOW)
    enrol(engine, EnrolRequest(code, device_id, office_code, counter, "PC", "0.1.0"), now=NOW)
    return device_id


def _fleet(engine: Engine, rng: random.Random) -> dict[str, str | None]:
    """60 offices of 1-3 PCs with distinct figures; returns each office's province."""
    provinces: dict[str, str | None] = {}
    for n in range(60):
        code = f"{5000 + n}"
        office_id = add_office(engine, code, f"دفتر {n}", now=NOW)
        province = PROVINCES[n % len(PROVINCES)]
        provinces[code] = province
        if province is not None:
            with engine.begin() as conn:
                conn.execute(
                    insert(office_provinces).values(office_id=office_id, province=province)
                )
        for counter in range(1, 2 + n % 3):
            device_id = _enrol(engine, code, counter)
            kind = rng.randrange(8)
            if kind == 0:
                continue  # never heard from
            # Whole seconds: the databases count time in whole seconds, as Python's int().
            ago = dt.timedelta(seconds=rng.randrange(1, 4 * 86400))
            if kind == 1:
                ago = -dt.timedelta(seconds=rng.randrange(1, 600))  # a clock ahead of ours
            waiting = kind in (2, 3, 1)
            beat = Heartbeat(
                queue_depth=rng.randrange(1, 500) if waiting else 0,
                oldest_waiting_seconds=rng.randrange(1, 40_000) if waiting else None,
                attention=rng.randrange(1, 4) if kind == 4 else 0,
                app_version=f"0.{rng.randrange(1, 4)}.0",
                update_state=rng.choice(["", "up_to_date", "ready", "refused"]),
            )
            record_heartbeat(engine, device_id, beat, now=NOW - ago)
            if kind == 5:
                with engine.begin() as conn:
                    conn.execute(
                        update(devices).where(devices.c.id == device_id).values(revoked_at=NOW)
                    )
    return provinces


def _stuck(health: OfficeHealth) -> bool:
    """The console's rule, as it was written over ``OfficeHealth``."""
    if (health.oldest_waiting_seconds or 0) >= STUCK_WAIT.total_seconds():
        return True
    if health.attention > 0 or health.never_heard > 0:
        return True
    return health.last_heartbeat is not None and health.last_heartbeat < NOW - SILENT


def _figures(health: OfficeHealth) -> tuple[object, ...]:
    return (
        health.office_code,
        health.office_name,
        health.devices,
        health.queue_depth,
        health.attention,
        health.oldest_waiting_seconds,
        health.last_heartbeat,
        health.never_heard,
        sorted(health.app_versions),
        sorted(health.update_states),
    )


def test_the_database_ranks_and_sums_as_the_server_does(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        prepare_database(engine, now=NOW)
        where = _fleet(engine, random.Random(15))
        expected = stuck_offices(engine, now=NOW, limit=100_000)
        # The server orders by its sort key; the console breaks its ties by office code.
        expected.sort(key=lambda h: (*h.sort_key(), h.office_code))
        stuck = [h for h in expected if _stuck(h)]
        assert 5 < len(stuck) < len(expected)  # both kinds are there

        view = fleet(engine, now=NOW)
        assert [_figures(o.health) for o in view.stuck] == [_figures(h) for h in stuck][
            :STUCK_SHOWN
        ]
        assert all(o.stuck for o in view.stuck) and view.stuck_total == len(stuck)
        sums: dict[str | None, list[int]] = {}
        for h in expected:
            s = sums.setdefault(where[h.office_code], [0, 0, 0, 0])
            s[0] += 1
            s[1] += _stuck(h)
            s[2] += h.queue_depth
            s[3] += h.attention
        shown = {
            p.province: [p.offices, p.stuck, p.queue_depth, p.attention] for p in view.provinces
        }
        assert shown == sums
        order = [(-p.stuck, -p.queue_depth) for p in view.provinces]
        assert order == sorted(order)  # provinces with stuck offices first

        for province in PROVINCES:
            chosen = fleet(engine, now=NOW, province=province or NO_PROVINCE)
            mine = [h for h in expected if where[h.office_code] == province]
            assert [_figures(o.health) for o in chosen.offices] == [_figures(h) for h in mine]
            assert [o.stuck for o in chosen.offices] == [_stuck(h) for h in mine]
            assert {o.province for o in chosen.offices} <= {province}
            assert chosen.stuck == [] and chosen.stuck_total == len(stuck)  # its own list only
            # A page at a time: the pages make up the same list, in the same order.
            paged, first = [], 0
            while True:
                part = fleet(
                    engine, now=NOW, province=province or NO_PROVINCE, first=first, page_size=4
                )
                paged += part.offices
                assert part.first == first and len(part.offices) <= 4
                if not part.more:
                    break
                first += 4
            assert [_figures(o.health) for o in paged] == [_figures(h) for h in mine]
    finally:
        engine.dispose()
