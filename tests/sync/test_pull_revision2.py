"""The round's pull in revision 2: the heartbeat rides on the first changes call, pages
come by bytes and the next one is fetched while the current one is applied, in order."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from sync.engine import ChangesPulled, HeartbeatSent, SyncEngine
from sync.localqueue import ChangesApplied
from sync.protocol import Change, ChangesPage2, Heartbeat
from tests.support.server import RunningServer
from tests.sync.conftest import Counter, server_rows


class CountingClient:
    """The real client, with its calls counted; ``old_server`` drops the heartbeat's answer
    from the pages, as a revision-1 server (which ignores the parameter) would."""

    def __init__(self, client: Any, *, old_server: bool = False) -> None:
        self._client = client
        self.old_server = old_server
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def changes(self, cursor: str | None, limit: int, **kw: Any) -> ChangesPage2:
        self.calls.append("changes+heartbeat" if kw.get("heartbeat") else "changes")
        page = self._client.changes(cursor, limit, **kw)
        return msgspec.structs.replace(page, heartbeat=None) if self.old_server else page

    def heartbeat(self, heartbeat: Heartbeat) -> Any:
        self.calls.append("heartbeat")
        return self._client.heartbeat(heartbeat)


def _engine(counter: Counter, client: Any, **kw: Any) -> SyncEngine:
    return SyncEngine(counter.queue, client, on_event=counter.events.append, **kw)


def test_the_heartbeat_rides_on_the_first_changes_call(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    counter.save(3)
    client = CountingClient(counter.engine()._client)
    result = _engine(counter, client, app_version="9.9").run_round()
    assert result.ok and result.accepted == 3
    assert client.calls == ["changes+heartbeat"]  # no call of its own
    assert [e.queue_depth for e in counter.events if isinstance(e, HeartbeatSent)] == [0]
    assert server_rows(
        server, "SELECT app_version, queue_depth FROM devices WHERE id = ?", counter.device.id
    ) == [("9.9", 0)]

    old = CountingClient(counter.engine()._client, old_server=True)
    assert _engine(counter, old).run_round().ok
    assert old.calls == ["changes+heartbeat", "heartbeat"]  # an old server: its own call


class FailingSecondApply:
    """The store, whose second page fails to apply (a full disk, say)."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue
        self.applied = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)

    def apply_changes(self, changes: list[Change], new_cursor: str | None) -> ChangesApplied:
        self.applied += 1
        if self.applied == 2:
            raise OSError("disk full")
        result: ChangesApplied = self._queue.apply_changes(changes, new_cursor)
        return result


def test_pages_by_bytes_prefetched_are_applied_in_order_and_none_is_lost(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    saved = counter.save(24)
    assert counter.engine().run_round().ok
    for request in saved:
        server.admin(
            "POST",
            f"/v1/admin/requests/{request.id}/status",
            {"state": "completed", "reason_fa": None, "reason_en": None},
        ).raise_for_status()
    client = counter.engine()._client
    failing = FailingSecondApply(counter.queue)
    with pytest.raises(OSError):
        SyncEngine(failing, client, page_bytes=1024).run_round()
    # The first page stays applied with its cursor; the page fetched ahead was dropped.
    first = counter.states().get("completed", 0)
    assert 0 < first < 24

    counter.events.clear()
    result = _engine(counter, client, page_bytes=1024).run_round()
    pulled = [e for e in counter.events if isinstance(e, ChangesPulled)]
    assert result.ok and result.status_applied == 24 - first  # none twice, none skipped
    assert len(pulled) >= 3 and [e.more for e in pulled][-1] is False
    assert counter.states() == {"completed": 24}


def test_a_refused_heartbeat_does_not_fail_the_pull(
    counter: Counter, server: RunningServer
) -> None:
    """The server refuses the heartbeat riding on the changes call (422 naming
    ``heartbeat.update_state``): the page is asked again without it and the round goes on."""
    counter.enrol(server)
    counter.save(2)
    client = CountingClient(counter.engine()._client)
    engine = _engine(counter, client, update_state=lambda: "NOT A WORD")
    result = engine.run_round()
    assert result.ok and result.accepted == 2 and result.error is None
    # With the heartbeat, again without it; then the heartbeat's own call (refused too,
    # which the round only logs).
    assert client.calls == ["changes+heartbeat", "changes", "heartbeat"]
    assert not [e for e in counter.events if isinstance(e, HeartbeatSent)]
