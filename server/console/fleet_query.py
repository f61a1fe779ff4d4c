"""The fleet's numbers computed by the database: one row per office with active PCs
(``monitoring.stuck_offices``'s figures and order), summed per province, the most stuck
first, so the page reads 31 summary rows and the offices it shows, not 16,000.

``monitoring.stuck_offices`` ranks offices in Python over every PC's row: 1.4 s for
16,000 offices on PostgreSQL (bench/RESULTS.md), most of it per-row Python (time zone
normalising, objects, the sort). The same figures are plain aggregates (count, sum, min,
max) once a PC's estimated wait is an expression: its reported oldest wait plus the time
since that report (never less than the report). Times are compared as epoch seconds
(``extract('epoch', ...)``: PostgreSQL's EXTRACT, SQLite's strftime('%s')).
``tests/console/test_fleet_query.py`` holds the two to the same figures and order on both
databases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Connection,
    Float,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    null,
    or_,
    select,
)

from server.console.models import office_provinces
from server.db import is_sqlite
from server.models import as_utc, devices, offices
from server.monitoring import OfficeHealth


@dataclass(frozen=True)
class Thresholds:
    """When an office needs attention (``fleet.STUCK_WAIT``, ``fleet.SILENT``), at ``now``."""

    now: dt.datetime
    wait: dt.timedelta
    silent: dt.timedelta


def _per_office(
    limits: Thresholds,
    *,
    sqlite: bool,
    among: Literal["all", "stuck", "area"] = "all",
    province: str | None = None,
) -> Any:
    """Per office with active PCs: the figures of ``OfficeHealth`` and whether it is stuck.

    ``among`` narrows the offices before their PCs are summed (so the database sums a few
    hundred offices, not 16,000): "stuck", the offices with a PC that makes them stuck (an
    office is stuck exactly when one of its PCs is: the figures are maxima, sums and
    minima over its PCs); "area", the offices of ``province`` (None: of none)."""
    now = limits.now.timestamp()
    beat = cast(extract("epoch", devices.c.last_heartbeat_at), Float)
    since_report = case((beat > now, 0.0), else_=literal(now) - beat)
    # Whole seconds, cut as Python's int() cuts (SQLite's CAST does; PostgreSQL's rounds).
    whole = cast(since_report if sqlite else func.trunc(since_report), Integer)
    waited = case(
        (
            and_(
                devices.c.queue_depth > 0,
                devices.c.oldest_waiting_seconds.is_not(None),
                devices.c.last_heartbeat_at.is_not(None),
            ),
            devices.c.oldest_waiting_seconds + whole,
        ),
        else_=null(),
    )
    grouped = (
        select(
            devices.c.office_id.label("office_id"),
            func.count().label("devices"),
            func.sum(devices.c.queue_depth).label("queue_depth"),
            func.sum(devices.c.attention).label("attention"),
            func.sum(case((devices.c.last_heartbeat_at.is_(None), 1), else_=0)).label(
                "never_heard"
            ),
            func.min(devices.c.last_heartbeat_at).label("stalest"),
            func.min(beat).label("stalest_epoch"),
            func.max(waited).label("oldest_waiting"),
        )
        .where(devices.c.revoked_at.is_(None), *_narrowed(among, province, waited, beat, limits))
        .group_by(devices.c.office_id)
        .subquery("per_device")
    )
    stuck = or_(
        func.coalesce(grouped.c.oldest_waiting, 0) >= int(limits.wait.total_seconds()),
        grouped.c.attention > 0,
        grouped.c.never_heard > 0,
        grouped.c.stalest_epoch < now - limits.silent.total_seconds(),
    )
    return (
        select(
            grouped,
            offices.c.code.label("code"),
            offices.c.name.label("name"),
            office_provinces.c.province.label("province"),
            case((stuck, 1), else_=0).label("stuck"),
        )
        .join(offices, offices.c.id == grouped.c.office_id)
        .outerjoin(office_provinces, office_provinces.c.office_id == grouped.c.office_id)
        .subquery("per_office")
    )


def _narrowed(
    among: str, province: str | None, waited: Any, beat: Any, limits: Thresholds
) -> list[ColumnElement[bool]]:
    if among == "stuck":
        pc_stuck = or_(
            waited >= int(limits.wait.total_seconds()),
            devices.c.attention > 0,
            devices.c.last_heartbeat_at.is_(None),
            beat < limits.now.timestamp() - limits.silent.total_seconds(),
        )
        flagged = select(devices.c.office_id).where(devices.c.revoked_at.is_(None), pc_stuck)
        return [devices.c.office_id.in_(flagged)]
    if among == "area":
        placed = select(office_provinces.c.office_id)
        if province is None:
            return [devices.c.office_id.not_in(placed)]
        return [devices.c.office_id.in_(placed.where(office_provinces.c.province == province))]
    return []


def _rank(per_office: Any) -> list[Any]:
    """Most stuck first, as ``OfficeHealth.sort_key``; the office code breaks ties."""
    return [
        func.coalesce(per_office.c.oldest_waiting, 0).desc(),
        per_office.c.queue_depth.desc(),
        per_office.c.never_heard.desc(),
        func.coalesce(per_office.c.stalest_epoch, 0.0),
        per_office.c.code,
    ]


@dataclass(frozen=True)
class ProvinceFigures:
    province: str | None
    offices: int
    stuck: int
    queue_depth: int
    attention: int


@dataclass(frozen=True)
class RankedOffice:
    health: OfficeHealth
    province: str | None
    stuck: bool


@dataclass(frozen=True)
class FleetFigures:
    provinces: list[ProvinceFigures]  # in no particular order
    stuck_total: int
    stuck: list[RankedOffice]  # the most stuck first, at most the number asked for
    chosen: list[RankedOffice]  # the chosen province's offices, most stuck first


def fleet_figures(
    conn: Connection,
    limits: Thresholds,
    *,
    stuck_shown: int,
    province: str | None = None,
    choose: bool = False,
    chosen_page: tuple[int, int] = (0, 100_000),
) -> FleetFigures:
    """Everything the fleet page shows: each province's figures, the ``stuck_shown`` most
    stuck offices, and (``choose``) the offices of ``province`` (None: those with no
    province yet), most stuck first, ``chosen_page`` = (offset, count) of them.

    Three statements over the same per-office aggregate, each sending back only what is
    shown (31 sums; the stuck offices, ranked by a top-N sort; one province's offices).
    Tried and slower: one row per office sent to Python for summing (16,000 rows to fetch),
    and window functions ranking every office in one statement (two sorts of all of them).
    """
    per_office = _per_office(limits, sqlite=is_sqlite(conn))
    c = per_office.c
    provinces = [
        ProvinceFigures(name, int(n), int(stuck or 0), int(queue or 0), int(attention or 0))
        for name, n, stuck, queue, attention in conn.execute(
            select(
                c.province,
                func.count(),
                func.sum(c.stuck),
                func.sum(c.queue_depth),
                func.sum(c.attention),
            ).group_by(c.province)
        )
    ]
    sqlite = is_sqlite(conn)
    stuck: Sequence[Any] = []
    if stuck_shown > 0:
        flagged = _per_office(limits, sqlite=sqlite, among="stuck")
        stuck = conn.execute(
            select(flagged).where(flagged.c.stuck == 1).order_by(*_rank(flagged)).limit(stuck_shown)
        ).all()
    chosen: Sequence[Any] = []
    if choose:
        area = _per_office(limits, sqlite=sqlite, among="area", province=province)
        skip, take = chosen_page  # (offset, count): a province's offices, a page at a time
        chosen = conn.execute(select(area).order_by(*_rank(area)).offset(skip).limit(take)).all()
    extras = _versions(conn, [row.office_id for row in (*stuck, *chosen)])
    return FleetFigures(
        provinces,
        sum(p.stuck for p in provinces),
        [_office(row, extras) for row in stuck],
        [_office(row, extras) for row in chosen],
    )


def _office(row: Any, extras: dict[int, tuple[set[str], set[str]]]) -> RankedOffice:
    versions, states = extras.get(row.office_id, (set(), set()))
    health = OfficeHealth(
        row.code,
        row.name,
        devices=int(row.devices),
        queue_depth=int(row.queue_depth or 0),
        attention=int(row.attention or 0),
        oldest_waiting_seconds=int(row.oldest_waiting) if row.oldest_waiting is not None else None,
        last_heartbeat=as_utc(row.stalest),
        never_heard=int(row.never_heard or 0),
        app_versions=set(versions),
        update_states=set(states),
    )
    return RankedOffice(health, row.province, bool(row.stuck))


def _versions(conn: Connection, office_ids: Sequence[int]) -> dict[int, tuple[set[str], set[str]]]:
    """The program versions and update states of the shown offices' active PCs."""
    found: dict[int, tuple[set[str], set[str]]] = {}
    ids = sorted(set(office_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for office_id, version, state in conn.execute(
            select(devices.c.office_id, devices.c.app_version, devices.c.update_state).where(
                devices.c.office_id.in_(chunk), devices.c.revoked_at.is_(None)
            )
        ):
            versions, states = found.setdefault(office_id, (set(), set()))
            if version:
                versions.add(version)
            if state:
                states.add(state)
    return found
