"""Heartbeats and the "stuck offices" view for the support desk.

A heartbeat says how many requests wait on the PC and how long the oldest has waited. An
office is as stuck as its worst PC: the oldest waiting request (what was reported, plus the
time since, if something was waiting), then the queue depth, then the oldest heartbeat.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select, update

from server.db import read_tx, write_tx
from server.models import as_utc, devices, offices
from sync.protocol import Heartbeat, utc_iso


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10.0"`` after ``"1.9.2"``; a version that is not dotted numbers sorts first
    (the oldest: the console shows it as behind rather than hiding it)."""
    parts = version.split(".")
    if not all(p.isascii() and p.isdigit() for p in parts):
        return (-1,)
    return tuple(int(p) for p in parts)


def record_heartbeat(engine: Engine, device_id: str, beat: Heartbeat, *, now: dt.datetime) -> None:
    with write_tx(engine) as conn:
        conn.execute(
            update(devices)
            .where(devices.c.id == device_id)
            .values(
                last_heartbeat_at=now,
                last_seen_at=now,
                queue_depth=beat.queue_depth,
                oldest_waiting_seconds=beat.oldest_waiting_seconds,
                attention=beat.attention,
                reported_last_seq=beat.last_seq,
                app_version=beat.app_version[:40],
                update_state=beat.update_state,
            )
        )


@dataclass
class OfficeHealth:
    office_code: str
    office_name: str
    devices: int = 0
    queue_depth: int = 0
    attention: int = 0
    oldest_waiting_seconds: int | None = None  # estimated now, over the office's PCs
    last_heartbeat: dt.datetime | None = None  # the stalest PC's last heartbeat
    never_heard: int = 0  # PCs that never sent a heartbeat
    app_versions: set[str] = field(default_factory=set)
    # Issue 16: what the PCs' updaters last said ("" left out: not reported).
    update_states: set[str] = field(default_factory=set)

    @property
    def lowest_app_version(self) -> str | None:
        """The office's oldest program version (dotted numbers compared as numbers)."""
        return min(self.app_versions, key=version_key) if self.app_versions else None

    def sort_key(self) -> tuple[int, int, int, float]:
        # Most stuck first: longest wait, then deepest queue, then silent longest.
        silent_since = self.last_heartbeat.timestamp() if self.last_heartbeat else 0.0
        return (
            -(self.oldest_waiting_seconds or 0),
            -self.queue_depth,
            -self.never_heard,
            silent_since,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "office_code": self.office_code,
            "office_name": self.office_name,
            "devices": self.devices,
            "queue_depth": self.queue_depth,
            "attention": self.attention,
            "oldest_waiting_seconds": self.oldest_waiting_seconds,
            "last_heartbeat": utc_iso(self.last_heartbeat) if self.last_heartbeat else None,
            "never_heard": self.never_heard,
            "app_versions": sorted(self.app_versions, key=version_key),
            "lowest_app_version": self.lowest_app_version,
            "update_states": sorted(self.update_states),
        }


def stuck_offices(engine: Engine, *, now: dt.datetime, limit: int = 100) -> list[OfficeHealth]:
    """Offices with active PCs, most stuck first."""
    with read_tx(engine) as conn:
        rows = conn.execute(
            select(
                offices.c.code,
                offices.c.name,
                devices.c.queue_depth,
                devices.c.oldest_waiting_seconds,
                devices.c.attention,
                devices.c.last_heartbeat_at,
                devices.c.app_version,
                devices.c.update_state,
            )
            .join(offices, offices.c.id == devices.c.office_id)
            .where(devices.c.revoked_at.is_(None))
        ).all()
    by_office: dict[str, OfficeHealth] = {}
    for row in rows:
        health = by_office.setdefault(row.code, OfficeHealth(row.code, row.name))
        health.devices += 1
        health.queue_depth += row.queue_depth
        health.attention += row.attention
        if row.app_version:
            health.app_versions.add(row.app_version)
        if row.update_state:
            health.update_states.add(row.update_state)
        beat = as_utc(row.last_heartbeat_at)
        if beat is None:
            health.never_heard += 1
            continue
        if health.last_heartbeat is None or beat < health.last_heartbeat:
            health.last_heartbeat = beat
        if row.queue_depth > 0 and row.oldest_waiting_seconds is not None:
            # Still waiting, as far as we know: it has waited since, too.
            waited = row.oldest_waiting_seconds + max(0, int((now - beat).total_seconds()))
            health.oldest_waiting_seconds = max(health.oldest_waiting_seconds or 0, waited)
    ranked = sorted(by_office.values(), key=OfficeHealth.sort_key)
    return ranked[:limit]
