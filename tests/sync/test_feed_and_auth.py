"""Revocation (401), the change feed (back-office status, catalogue versions, cursor reset)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from desktop.catalog_store import CatalogStore
from desktop.db.models import KeyValue
from desktop.outbox import CURSOR_KEY
from desktop.synccli import sync_status
from rules.catalog import demo_catalog_path
from sync.engine import CursorReset
from sync.protocol import PATH_CHANGES, ChangesPage, StatusChange, decode
from tests.support.server import RunningServer
from tests.sync.conftest import Counter


def test_revoked_device_needs_reenrolment_and_nothing_is_dropped(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    counter.save(3)
    assert counter.engine().run_round().ok
    counter.save(4, start=3)
    server.admin("POST", f"/v1/admin/devices/{counter.device.id}/revoke").raise_for_status()

    result = counter.engine().run_round()
    assert result.needs_reenrolment and not result.ok
    assert result.error is not None and result.error.code == "unauthorized"
    assert "enrol" in result.error.message_en
    assert counter.states() == {"accepted": 3, "queued": 4}  # not set aside, not lost
    assert counter.outbox() == {"done": 3, "queued": 4}
    status = sync_status(counter.store, counter.data_dir)
    assert status["needs_reenrolment"] and status["waiting"] == 4
    assert status["last_error"]["code"] == "unauthorized"
    next_try = dt.datetime.fromisoformat(status["next_try"])
    wait = (next_try - dt.datetime.now(dt.UTC)).total_seconds()
    assert 800 < wait <= 900  # asks again only after the backoff cap, not in a loop

    counter.enrol(server)  # a new one-time code for the same PC
    assert not sync_status(counter.store, counter.data_dir)["needs_reenrolment"]
    again = counter.engine().run_round()
    assert again.ok and again.accepted == 4 and not again.needs_reenrolment
    assert counter.states() == {"accepted": 7}


def test_back_office_status_arrives_with_the_next_round_and_replays_are_harmless(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    first, second = counter.save(2)
    assert counter.engine().run_round().ok
    server.cli(
        "set-status",
        first.id,
        "needs_correction",
        "--reason-fa",
        "عکس خوانا نیست",
        "--reason-en",
        "The photo is not legible",
    )
    server.admin(
        "POST",
        f"/v1/admin/requests/{second.id}/status",
        {"state": "completed", "reason_fa": None, "reason_en": None},
    ).raise_for_status()

    result = counter.engine().run_round()
    assert result.ok and result.status_applied == 2
    rows = dict(
        (r[0], r[1:])
        for r in counter.rows("SELECT id, state, reason_fa, reason_en, tracking_code FROM requests")
    )
    assert rows[first.id][:3] == ("needs_correction", "عکس خوانا نیست", "The photo is not legible")
    assert rows[second.id][0] == "completed" and rows[second.id][3].startswith("PK-")
    history = counter.rows(
        "SELECT state, source FROM request_state_changes WHERE request_id = ? ORDER BY id", first.id
    )
    assert history == [("queued", "counter"), ("accepted", "sync"), ("needs_correction", "server")]

    # A cursor the server cannot read: it answers "reset", the feed is pulled from the start
    # (the server's own "accepted" changes included) and nothing moves backwards.
    with counter.store.write() as s:
        row = s.get(KeyValue, CURSOR_KEY)
        assert row is not None
        row.value = "not-a-cursor"
    replay = counter.engine().run_round()
    assert replay.ok and replay.status_applied == 0
    assert any(isinstance(e, CursorReset) for e in counter.events)
    assert counter.rows("SELECT state FROM requests WHERE id = ?", first.id) == [
        ("needs_correction",)
    ]
    assert (
        len(counter.rows("SELECT id FROM request_state_changes WHERE request_id = ?", first.id))
        == 3
    )


def test_a_request_whose_answer_was_lost_is_settled_by_the_resend_or_an_old_feed(
    counter: Counter, server: RunningServer
) -> None:
    """Revision 2's feed leaves out this PC's own acceptances: a push answer that was lost
    is made good by the resend (``duplicate`` with the same code), never by the feed. A
    revision-1 reader of the same feed still finds the acceptance there."""
    counter.enrol(server)
    [saved] = counter.save(1)
    engine = counter.engine()
    batch = counter.queue.next_batch(1)
    stored = engine._client.push(batch).results[0]  # the server stored it ...
    counter.queue.requeue([saved.id])  # ... and the answer was lost: queued again here
    page = engine._client.changes(None)
    # The catalogue version comes, the acceptance is not repeated to the PC that pushed it.
    assert not [c for c in page.changes if isinstance(c, StatusChange)] and not page.more
    old = decode(engine._client._call("GET", PATH_CHANGES, params={"limit": "200"}), ChangesPage)
    assert [c.tracking_code for c in old.changes if isinstance(c, StatusChange)] == [
        stored.tracking_code
    ]  # a revision-1 client (no "revision") gets the feed as it always was

    result = counter.engine().run_round()
    assert result.ok and result.duplicate == 1
    assert counter.rows("SELECT state, tracking_code FROM requests") == [
        ("accepted", stored.tracking_code)
    ]
    assert counter.outbox() == {"done": 1}


def test_a_catalogue_published_on_the_server_becomes_current(
    counter: Counter, server: RunningServer, tmp_path: Path
) -> None:
    counter.enrol(server)
    document = json.loads(demo_catalog_path().read_text(encoding="utf-8"))
    document["services"][0]["title"]["en"] = "Smart card (new tariff)"
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    version = int(server.cli("publish-catalog", str(path)).stdout.strip())
    assert version > 1

    result = counter.engine().run_round()
    assert result.ok and version in result.catalog_versions
    current = CatalogStore(counter.store).current()
    assert current.version == version
    assert current.services[0].title.en == "Smart card (new tariff)"
    assert counter.rows("SELECT source FROM catalog_versions WHERE version = ?", version) == [
        ("server",)
    ]
