"""The outbox as the transport sees it, for tests: queued / sending / attention / done.

Derived from each request's one state (desktop.states.State.phase), for the requests that
have an outbox entry; what the tests of the sync count.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop.states import State

_PHASE = " ".join(f"WHEN '{s.value}' THEN '{s.phase}'" for s in State)
_SQL = (
    f"SELECT CASE r.state {_PHASE} END, count(*) FROM outbox o"
    " JOIN requests r ON r.id = o.request_id GROUP BY 1"
)


def outbox_phases(rows: Callable[..., list[tuple[Any, ...]]]) -> dict[str, int]:
    """``{"queued": n, "done": m, ...}`` through the caller's ``rows(sql)`` helper."""
    return {str(k): int(v) for k, v in rows(_SQL)}
