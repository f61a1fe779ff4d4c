"""The fleet as operators see it: every office with active PCs, most stuck first (the
server's own ranking, ``monitoring.stuck_offices``, computed by the database:
``fleet_query``), grouped by province; one office's PCs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from server.console import audit
from server.console.fleet_query import RankedOffice, Thresholds, fleet_figures
from server.console.models import device_heartbeats, office_provinces
from server.db import read_now, write_tx
from server.models import as_utc, devices, offices

# An office needs someone's attention when a request has waited this long on a PC, a PC
# set requests aside, or a PC has not been heard from for this long.
STUCK_WAIT = dt.timedelta(hours=1)
SILENT = dt.timedelta(days=1)


# One office as the fleet page shows it: its figures, province and whether it is stuck.
FleetOffice = RankedOffice

NO_PROVINCE = "_"  # the fleet page's name for offices with no province yet
STUCK_SHOWN = 200
PROVINCE_PAGE = 100  # a province's offices a page (Tehran's ~1,500 would be one long page)


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
    stuck: list[FleetOffice]  # the most stuck first, at most STUCK_SHOWN; none for a province
    stuck_total: int
    provinces: list[ProvinceSummary]  # provinces with stuck offices first
    chosen: str | None  # the province asked for, if any ("_": none yet)
    offices: list[FleetOffice]  # a page of that province's offices, most stuck first
    first: int = 0  # the rank (from 0) of the page's first office
    more: bool = False  # the province has more offices after this page


def fleet(
    engine: Engine,
    *,
    now: dt.datetime,
    province: str | None = None,
    first: int = 0,
    page_size: int = PROVINCE_PAGE,
) -> FleetView:
    """The fleet page: stuck offices across the country, one line per province, and (when
    ``province`` is given) that province's offices. 16,000 offices make one page of lines
    per province, not 16,000 rows; the database does the counting and the ranking
    (``fleet_query``), so only the offices shown come back."""
    limits = Thresholds(now=now, wait=STUCK_WAIT, silent=SILENT)
    with read_now(engine) as conn:
        figures = fleet_figures(
            conn,
            limits,
            # A province's page lists its own offices, most stuck first, and not the
            # country's most stuck beside them (hundreds of rows the page did not ask for).
            stuck_shown=STUCK_SHOWN if province is None else 0,
            province=None if province in (None, NO_PROVINCE) else province,
            choose=province is not None,
            chosen_page=(first, page_size + 1),  # one more: is there a next page?
        )
    summaries = [
        ProvinceSummary(f.province, f.offices, f.stuck, f.queue_depth, f.attention)
        for f in figures.provinces
    ]
    summaries.sort(key=lambda p: (-p.stuck, -p.queue_depth, p.province or "\uffff"))
    chosen = figures.chosen
    return FleetView(
        figures.stuck,
        figures.stuck_total,
        summaries,
        province,
        chosen[:page_size],
        first=first,
        more=len(chosen) > page_size,
    )


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
