"""The fleet as operators see it: every office with active PCs, most stuck first (the
server's own ranking, ``monitoring.stuck_offices``), grouped by province; one office's PCs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from server.console import audit
from server.console.models import device_heartbeats, office_provinces
from server.db import read_now, write_tx
from server.models import as_utc, devices, offices
from server.monitoring import OfficeHealth, stuck_offices

# An office needs someone's attention when a request has waited this long on a PC, a PC
# set requests aside, or a PC has not been heard from for this long.
STUCK_WAIT = dt.timedelta(hours=1)
SILENT = dt.timedelta(days=1)


@dataclass(frozen=True)
class FleetOffice:
    health: OfficeHealth
    province: str | None
    stuck: bool


def _stuck(health: OfficeHealth, wait_seconds: float, silent_before: dt.datetime) -> bool:
    # Called for every office on every fleet page: the thresholds come in precomputed.
    if (health.oldest_waiting_seconds or 0) >= wait_seconds:
        return True
    if health.attention > 0 or health.never_heard > 0:
        return True
    return health.last_heartbeat is not None and health.last_heartbeat < silent_before


def provinces_by_office(engine: Engine) -> dict[str, str]:
    with read_now(engine) as conn:
        rows = conn.execute(
            select(offices.c.code, office_provinces.c.province).join(
                office_provinces, office_provinces.c.office_id == offices.c.id
            )
        ).all()
    return {code: province for code, province in rows}


NO_PROVINCE = "_"  # the fleet page's name for offices with no province yet
STUCK_SHOWN = 200


@dataclass(frozen=True)
class ProvinceSummary:
    province: str | None
    offices: int
    stuck: int
    queue_depth: int
    attention: int

    @property
    def key(self) -> str:
        return self.province or NO_PROVINCE


@dataclass(frozen=True)
class FleetView:
    stuck: list[FleetOffice]  # the most stuck first, at most STUCK_SHOWN
    stuck_total: int
    provinces: list[ProvinceSummary]  # provinces with stuck offices first
    chosen: str | None  # the province asked for, if any ("_": none yet)
    offices: list[FleetOffice]  # that province's offices, most stuck first


def fleet(engine: Engine, *, now: dt.datetime, province: str | None = None) -> FleetView:
    """The fleet page: stuck offices across the country, one line per province, and (when
    ``province`` is given) that province's offices. 16,000 offices make one page of lines
    per province, not 16,000 rows."""
    ranked = stuck_offices(engine, now=now, limit=100_000)
    where = provinces_by_office(engine)
    wait, silent_before = STUCK_WAIT.total_seconds(), now - SILENT
    every = [
        FleetOffice(h, where.get(h.office_code), _stuck(h, wait, silent_before)) for h in ranked
    ]
    groups: dict[str | None, list[FleetOffice]] = {}
    for office in every:  # already in rank order: each group keeps it
        groups.setdefault(office.province, []).append(office)
    summaries = [
        ProvinceSummary(
            province=name,
            offices=len(members),
            stuck=sum(o.stuck for o in members),
            queue_depth=sum(o.health.queue_depth for o in members),
            attention=sum(o.health.attention for o in members),
        )
        for name, members in groups.items()
    ]
    summaries.sort(key=lambda p: (-p.stuck, -p.queue_depth, p.province or "\uffff"))
    stuck = [o for o in every if o.stuck]
    chosen_offices: list[FleetOffice] = []
    if province is not None:
        chosen_offices = groups.get(None if province == NO_PROVINCE else province, [])
    return FleetView(stuck[:STUCK_SHOWN], len(stuck), summaries, province, chosen_offices)


@dataclass(frozen=True)
class OfficePage:
    id: int
    code: str
    name: str
    province: str | None
    devices: list[dict[str, Any]]
    history: list[dict[str, Any]]  # heartbeat samples of its PCs, newest first


HISTORY_ROWS = 96


def office_page(engine: Engine, code: str) -> OfficePage | None:
    with read_now(engine) as conn:
        office = conn.execute(
            select(offices.c.id, offices.c.code, offices.c.name).where(offices.c.code == code)
        ).first()
        if office is None:
            return None
        province = conn.execute(
            select(office_provinces.c.province).where(office_provinces.c.office_id == office.id)
        ).scalar()
        rows = conn.execute(
            select(devices)
            .where(devices.c.office_id == office.id)
            .order_by(devices.c.revoked_at.is_not(None), devices.c.counter_no)
        ).all()
        samples = conn.execute(
            select(device_heartbeats, devices.c.counter_no)
            .join(devices, devices.c.id == device_heartbeats.c.device_id)
            .where(devices.c.office_id == office.id)
            .order_by(device_heartbeats.c.at.desc())
            .limit(HISTORY_ROWS)
        ).all()
    shown = []
    for row in rows:
        item = dict(row._mapping)
        item.pop("token_hash", None)
        for key in ("enrolled_at", "revoked_at", "last_seen_at", "last_heartbeat_at"):
            item[key] = as_utc(item[key])
        shown.append(item)
    history = [dict(r._mapping, at=as_utc(r.at)) for r in samples]
    return OfficePage(office.id, office.code, office.name, province, shown, history)


def set_province(
    engine: Engine, office_id: int, province: str | None, who: audit.Actor, *, now: dt.datetime
) -> None:
    with write_tx(engine) as conn:
        conn.execute(delete(office_provinces).where(office_provinces.c.office_id == office_id))
        if province:
            conn.execute(insert(office_provinces).values(office_id=office_id, province=province))
        audit.record(
            conn, who, "set_province", target=str(office_id), detail=province or "", now=now
        )
