"""One sync round against the real server: accepted with tracking codes, resends, poison items."""

from __future__ import annotations

from tests.support.server import RunningServer
from tests.sync.conftest import Counter


def test_saved_requests_are_accepted_with_server_tracking_codes(
    counter: Counter, server: RunningServer
) -> None:
    counter.enrol(server)
    saved = counter.save(5)
    result = counter.engine().run_round()
    assert result.ok, result
    assert (result.accepted, result.waiting) == (5, 0)
    rows = counter.rows("SELECT id, state, tracking_code FROM requests ORDER BY seq")
    assert [r[0] for r in rows] == [s.id for s in saved]
    assert all(r[1] == "accepted" and r[2] and r[2].startswith("PK-") for r in rows)
    assert counter.outbox() == {"done": 5}
