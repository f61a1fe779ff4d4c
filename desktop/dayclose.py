"""Closing the counter's day: what was taken, per clerk and service, and its audit.

A day is the Tehran calendar day (``desktop.clock.local_day_bounds``): a request saved at
23:50 Tehran time belongs to that day although it is 20:20 UTC. All sums are SQL
aggregates over the ``created_at`` index, so a day of a store holding a million requests
reads only that day's rows.

How money is counted: every saved request is money the counter took (the citizen paid
at the card terminal before the clerk saved), whatever became of it later. A correction
is a new request with its own payment, so the original and its correction both count.
Corrections are also shown as their own lines and totals, so the manager sees how much of
the day's takings were re-registrations. The request's state (queued, rejected, ...) does
not matter here: a rejection by the back office does not give the counter's money back.

Money collected on behalf of another body (a bill's amount: a money field the catalogue
marks ``collected``) went through the same card terminal, so it is in the day's total
("جمع دریافتی"), kept apart from the fees (``Takings.collected``), so the day matches the
terminal's. It is summed in the same SQL pass from each request's answers, by the fields of
the catalogue version the request was made under (``collected_sql``): no code change for a
new service.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jdatetime
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from desktop import audit
from desktop.audit import Action
from desktop.clerks import ClerkInfo
from desktop.clock import Clock, local_day_bounds, utc_now
from desktop.db.engine import Store
from desktop.db.models import AuditEvent, CatalogVersion, Clerk, Office
from desktop.db.types import utc_text
from desktop.errors import PermissionDeniedError
from desktop.receipt import WEEKDAYS, digits
from rules.catalog import Catalog
from rules.messages import Message

# One pass over the day's rows through ix_requests_created_at. The bare service titles
# come from the row holding max(local_id) (SQLite's min/max bare-column rule): the newest
# title of a service if the catalogue renamed it during the day.
DAY_QUERY = """
SELECT clerk_id, service_code, supersedes_id IS NOT NULL AS correction,
       count(*), sum(government_fee), sum(office_fee), sum(vat),
       max(local_id), service_title_fa, service_title_en, clerk_username,
       sum({collected})
FROM requests
WHERE created_at >= :start AND created_at < :end {clerk_clause}
GROUP BY clerk_id, service_code, correction
"""


@dataclass(frozen=True)
class Takings:
    """Requests and the money they brought, in integer rials, by fee kind."""

    count: int = 0
    government: int = 0
    office: int = 0
    vat: int = 0
    collected: int = 0  # for other bodies (bills): taken at the terminal, not a fee

    @property
    def fees(self) -> int:
        return self.government + self.office + self.vat

    @property
    def total(self) -> int:
        """Everything taken at the card terminal: the fees and the collected money."""
        return self.fees + self.collected

    def __add__(self, other: Takings) -> Takings:
        return Takings(
            self.count + other.count,
            self.government + other.government,
            self.office + other.office,
            self.vat + other.vat,
            self.collected + other.collected,
        )

    def __sub__(self, other: Takings) -> Takings:
        return Takings(
            self.count - other.count,
            self.government - other.government,
            self.office - other.office,
            self.vat - other.vat,
            self.collected - other.collected,
        )

    def to_dict(self) -> dict[str, int]:
        return {
            "count": self.count,
            "government": self.government,
            "office": self.office,
            "vat": self.vat,
            "fees": self.fees,
            "collected": self.collected,
            "total": self.total,
        }


@dataclass(frozen=True)
class SummaryLine:
    """One clerk × service × (new request or correction)."""

    clerk_id: int
    clerk_username: str
    clerk_name: str
    service_code: str
    service_title: Message
    correction: bool
    takings: Takings


@dataclass(frozen=True)
class ClerkTotal:
    clerk_id: int
    clerk_username: str
    clerk_name: str
    takings: Takings  # everything this clerk took, corrections included
    corrections: Takings  # the part of it that were corrections


@dataclass(frozen=True)
class DaySummary:
    day: dt.date  # the Tehran calendar day (Gregorian date object)
    jalali: str  # "1405/09/06", ASCII digits
    clerk_id: int | None  # None: every clerk
    start: dt.datetime  # UTC, inclusive
    end: dt.datetime  # UTC, exclusive
    office_code: str
    office_name: str
    lines: tuple[SummaryLine, ...]
    clerks: tuple[ClerkTotal, ...]
    total: Takings  # everything, corrections included
    corrections: Takings  # the part of the total that were corrections

    @property
    def originals(self) -> Takings:
        """Requests that are not corrections."""
        return self.total - self.corrections

    def jalali_text(self, lang: str) -> str:
        """The day for people: the weekday and the Jalali date (Persian digits in Persian)."""
        weekday = WEEKDAYS[jdatetime.date.fromgregorian(date=self.day).weekday()]
        return f"{weekday.text(lang)} {digits(self.jalali, lang)}"


def jalali(day: dt.date) -> str:
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"


def visible_clerk(viewer: ClerkInfo, wanted: int | None) -> int | None:
    """Whose day ``viewer`` may see: a manager any clerk's or all; a clerk only their own."""
    if viewer.is_manager:
        return wanted
    if wanted not in (None, viewer.id):
        raise PermissionDeniedError(
            Message(
                fa="هر کارمند فقط صندوق روز خودش را می‌بیند.",
                en="A clerk sees only their own day's takings.",
            )
        )
    return viewer.id


def collected_sql(catalogs: Iterable[Catalog]) -> tuple[str, dict[str, object]]:
    """A SQL expression for one request row's money collected for other bodies, and its
    parameters: the row's answers at the money fields its catalogue version marks
    ``collected`` (answers hold money as ASCII integers), 0 for every other row."""
    versions: dict[tuple[str, tuple[str, ...]], list[int]] = {}
    for catalog in catalogs:
        for service in catalog.services:
            if service.collected_keys:
                group = (service.code, service.collected_keys)
                versions.setdefault(group, []).append(int(catalog.version))
    if not versions:
        return "0", {}
    params: dict[str, object] = {}
    cases = []
    for i, ((code, keys), numbers) in enumerate(sorted(versions.items())):
        params[f"collected_service_{i}"] = code
        amounts = []
        for j, key in enumerate(keys):
            params[f"collected_path_{i}_{j}"] = f"$.{key}"
            amounts.append(
                f"coalesce(CAST(json_extract(answers_json, :collected_path_{i}_{j}) AS INTEGER), 0)"
            )
        in_versions = ", ".join(str(n) for n in sorted(numbers))
        cases.append(
            f"WHEN service_code = :collected_service_{i} AND catalog_version IN ({in_versions}) "
            f"THEN {' + '.join(amounts)}"
        )
    return f"CASE {' '.join(cases)} ELSE 0 END", params


def _known_catalogs(store: Store) -> list[Catalog]:
    from desktop.catalog_store import CatalogStore

    catalogs = CatalogStore(store)
    with store.read() as s:
        numbers = list(s.scalars(select(CatalogVersion.version)))
    return [catalogs.get(n) for n in numbers]


def _day_sql(clerk_id: int | None, collected: str = "0") -> str:
    return DAY_QUERY.format(
        clerk_clause="AND clerk_id = :clerk" if clerk_id is not None else "", collected=collected
    )


def _params(day: dt.date, clerk_id: int | None) -> dict[str, object]:
    start, end = local_day_bounds(day)
    params: dict[str, object] = {"start": utc_text(start), "end": utc_text(end)}
    if clerk_id is not None:
        params["clerk"] = clerk_id
    return params


def query_plan(store: Store, day: dt.date, clerk_id: int | None = None) -> list[str]:
    """SQLite's EXPLAIN QUERY PLAN of the day query (the test checks it uses the index)."""
    collected, collected_params = collected_sql(_known_catalogs(store))
    with store.read() as s:
        rows = s.execute(
            text("EXPLAIN QUERY PLAN " + _day_sql(clerk_id, collected)),
            {**_params(day, clerk_id), **collected_params},
        ).all()
    return [str(r[-1]) for r in rows]


def day_summary(store: Store, day: dt.date, clerk_id: int | None = None) -> DaySummary:
    """The takings of one Tehran calendar day, for one clerk or (None) all of them."""
    start, end = local_day_bounds(day)
    collected, collected_params = collected_sql(_known_catalogs(store))
    with store.read() as s:
        rows = s.execute(
            text(_day_sql(clerk_id, collected)), {**_params(day, clerk_id), **collected_params}
        ).all()
        names: dict[int, str] = {i: n for i, n in s.execute(select(Clerk.id, Clerk.display_name))}
        office = s.scalar(select(Office).limit(1))
        office_code, office_name = (office.code, office.name) if office else ("", "")

    lines = [
        SummaryLine(
            clerk_id=r[0],
            clerk_username=r[10],
            clerk_name=names.get(r[0]) or r[10],
            service_code=r[1],
            service_title=Message(r[8], r[9]),
            correction=bool(r[2]),
            takings=Takings(r[3], r[4], r[5], r[6], int(r[11] or 0)),
        )
        for r in rows
    ]
    lines.sort(key=lambda x: (x.clerk_name, x.clerk_id, x.correction, x.service_title.fa))

    clerks: dict[int, ClerkTotal] = {}
    for line in lines:
        prev = clerks.get(line.clerk_id) or ClerkTotal(
            line.clerk_id, line.clerk_username, line.clerk_name, Takings(), Takings()
        )
        clerks[line.clerk_id] = ClerkTotal(
            prev.clerk_id,
            prev.clerk_username,
            prev.clerk_name,
            prev.takings + line.takings,
            prev.corrections + (line.takings if line.correction else Takings()),
        )
    total = sum((c.takings for c in clerks.values()), Takings())
    corrections = sum((c.corrections for c in clerks.values()), Takings())
    return DaySummary(
        day=day,
        jalali=jalali(day),
        clerk_id=clerk_id,
        start=start,
        end=end,
        office_code=office_code,
        office_name=office_name,
        lines=tuple(lines),
        clerks=tuple(clerks.values()),
        total=total,
        corrections=corrections,
    )


# --- CSV --------------------------------------------------------------------------------

# Words of the report, the same on screen, on paper and in the CSV.
LABELS: dict[str, Message] = {
    "title": Message("گزارش بستن روز پیشخوان", "Pishkhan day close"),
    "day": Message("روز", "Day (Jalali)"),
    "office": Message("دفتر", "Office"),
    "scope_all": Message("همهٔ کارمندان", "All clerks"),
    "clerk": Message("کارمند", "Clerk"),
    "username": Message("نام کاربری", "User name"),
    "service_code": Message("کد خدمت", "Service code"),
    "service": Message("خدمت", "Service"),
    "kind": Message("نوع", "Kind"),
    "new": Message("درخواست", "Request"),
    "correction": Message("اصلاحیه", "Correction"),
    "count": Message("تعداد", "Count"),
    "government": Message("هزینهٔ دولتی (ریال)", "Government fee (rials)"),
    "office_fee": Message("کارمزد دفتر (ریال)", "Office fee (rials)"),
    "vat": Message("مالیات بر ارزش افزوده (ریال)", "VAT (rials)"),
    "fees": Message("جمع کارمزدها و هزینه‌ها (ریال)", "Fees (rials)"),
    "collected": Message("وجوه دریافتی برای دیگران (ریال)", "Collected for others (rials)"),
    "total": Message("جمع دریافتی (ریال)", "Total taken (rials)"),
    "grand_total": Message("جمع کل", "Grand total"),
    "of_which": Message("از این میان اصلاحیه", "Of which corrections"),
    "clerk_total": Message("جمع {name}", "Total for {name}"),
    "report_title": Message("گزارش بستن روز", "Day close report"),
    "sign_clerk": Message("امضای کارمند", "Clerk's signature"),
    "sign_manager": Message("امضای مدیر دفتر", "Office manager's signature"),
    "printed_at": Message("زمان چاپ", "Printed"),
}

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ would make Excel run a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def csv_rows(summary: DaySummary, lang: str) -> list[list[str | int]]:
    """The CSV's rows: a title row (with the Jalali day), the header, one row per
    clerk × service × kind, then the grand total and its corrections."""
    t = {k: m.text(lang) for k, m in LABELS.items()}
    # The Jalali day stays text, inside words: Excel would read a bare "1405/09/06" as the
    # Gregorian year 1405. The ISO Gregorian date is a real date for it to sort on.
    scope = (
        t["scope_all"]
        if summary.clerk_id is None
        else next((c.clerk_name for c in summary.clerks), str(summary.clerk_id))
    )
    rows: list[list[str | int]] = [
        [
            t["title"],
            f"{t['day']}: {summary.jalali_text(lang)}",
            summary.day.isoformat(),
            f"{t['office']}: {_cell(summary.office_name)} ({summary.office_code})",
            _cell(scope),
        ],
        [
            t["clerk"],
            t["username"],
            t["service_code"],
            t["service"],
            t["kind"],
            t["count"],
            t["government"],
            t["office_fee"],
            t["vat"],
            t["fees"],
            t["collected"],
            t["total"],
        ],
    ]
    for line in summary.lines:
        k = line.takings
        rows.append(
            [
                _cell(line.clerk_name),
                _cell(line.clerk_username),
                line.service_code,
                _cell(line.service_title.text(lang)),
                t["correction" if line.correction else "new"],
                k.count,
                k.government,
                k.office,
                k.vat,
                k.fees,
                k.collected,
                k.total,
            ]
        )
    for label, k in ((t["grand_total"], summary.total), (t["of_which"], summary.corrections)):
        numbers: list[str | int] = [k.count, k.government, k.office, k.vat, k.fees]
        rows.append([label, "", "", "", "", *numbers, k.collected, k.total])
    return rows


def export_csv(summary: DaySummary, path: Path | str, lang: str) -> Path:
    """Write the day's summary as CSV for Excel: UTF-8 with a BOM, integer rials.

    Excel on Windows reads a CSV without a BOM in the system's ANSI code page and turns
    Persian into mojibake; with the BOM it knows the file is UTF-8. Written to a temporary
    file first, so a full disk never leaves half a report under the real name.
    """
    target = Path(path)
    tmp = target.with_name(f".{target.name}.partial")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        csv.writer(fh).writerows(csv_rows(summary, lang))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target


# --- Audit -------------------------------------------------------------------------------


def _audit_detail(summary: DaySummary) -> dict[str, Any]:
    # Ids and sums only: the trail holds no names (see desktop.audit).
    return {
        "day": summary.day.isoformat(),
        "jalali": summary.jalali,
        "scope": "all" if summary.clerk_id is None else summary.clerk_id,
        "totals": summary.total.to_dict(),
        "corrections": summary.corrections.to_dict(),
        "clerks": {str(c.clerk_id): c.takings.to_dict() for c in summary.clerks},
    }


def close_day(
    store: Store, clerk: ClerkInfo, day: dt.date, *, clock: Clock = utc_now
) -> DaySummary:
    """Close ``day``: a manager closes the whole office's day, a clerk their own.

    Closing again (a late request came in) is allowed and recorded again, with the number of
    earlier closes of the same day and scope, so the trail shows the day was reopened.
    """
    scope = None if clerk.is_manager else clerk.id
    summary = day_summary(store, day, scope)
    detail = _audit_detail(summary)
    with store.write() as s:
        detail["earlier_closes"] = _closes(s, summary.day, summary.clerk_id)
        audit.record(s, Action.DAY_CLOSED, at=clock(), clerk_id=clerk.id, **detail)
    return summary


def times_closed(store: Store, day: dt.date, clerk_id: int | None = None) -> int:
    """How often ``day`` was closed for this scope (None: the whole office)."""
    with store.read() as s:
        return _closes(s, day, clerk_id)


def _closes(s: Session, day: dt.date, clerk_id: int | None) -> int:
    # DAY_CLOSED events are one or two a day: reading them all is cheap.
    scope: object = "all" if clerk_id is None else clerk_id
    details = s.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == str(Action.DAY_CLOSED))
    )
    return sum(
        1
        for d in map(json.loads, details)
        if d.get("day") == day.isoformat() and d.get("scope") == scope
    )


def record_export(
    store: Store,
    clerk: ClerkInfo | None,
    summary: DaySummary,
    *,
    how: str = "csv",
    clock: Clock = utc_now,
) -> None:
    """Audit that the day's summary left the program: ``how`` is csv, pdf or paper."""
    with store.write() as s:
        audit.record(
            s,
            Action.DAY_EXPORTED,
            at=clock(),
            clerk_id=clerk.id if clerk else None,
            day=summary.day.isoformat(),
            how=how,
            scope="all" if summary.clerk_id is None else summary.clerk_id,
            rows=len(summary.lines),
            total=summary.total.total,
        )


__all__ = [
    "DAY_QUERY",
    "LABELS",
    "ClerkTotal",
    "DaySummary",
    "SummaryLine",
    "Takings",
    "close_day",
    "csv_rows",
    "day_summary",
    "export_csv",
    "jalali",
    "query_plan",
    "record_export",
    "times_closed",
    "visible_clerk",
]
