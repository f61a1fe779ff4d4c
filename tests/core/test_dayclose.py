"""Day close: Tehran-day bounds, sums per clerk and service, corrections, CSV, audit."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.audit import Action
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.clock import TEHRAN
from desktop.dayclose import (
    DaySummary,
    Takings,
    close_day,
    csv_rows,
    day_summary,
    export_csv,
    query_plan,
    record_export,
    times_closed,
    visible_clerk,
)
from desktop.db.engine import DB_FILENAME, Store
from desktop.db.models import AuditEvent
from desktop.errors import PermissionDeniedError
from desktop.intake import Intake, RequestDraft
from desktop.office import initialise
from rules.catalog import Catalog

# Fixed fees, so the expected sums are written out by hand: VAT is 10% of the office fee.
CATALOG = {
    "version": 1,
    "published_at": "2026-11-01T00:00:00Z",
    "services": [
        {
            "code": "alpha",
            "title": {"fa": "خدمت الف", "en": "Alpha"},
            "category": {"fa": "آزمایشی", "en": "Test"},
            "fees": {"government": 100_000, "office": 50_000, "vat_percent": 10},
        },
        {
            "code": "beta",
            "title": {"fa": "خدمت ب", "en": "Beta"},
            "category": {"fa": "آزمایشی", "en": "Test"},
            "fees": {"government": 0, "office": 30_000, "vat_percent": 10},
        },
    ],
}
ALPHA = Takings(1, 100_000, 50_000, 5_000)  # 155,000 rials
BETA = Takings(1, 0, 30_000, 3_000)  # 33,000 rials
DAY = dt.date(2026, 11, 25)  # Wednesday, 1405/09/04
ALPHA_CSV = ["100000", "50000", "5000", "155000", "0", "155000"]  # fees, collected, total
NAMES_AND_CODES = ("علی", "رضایی", "0012345679", "09121234567")


def tehran(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TEHRAN).astimezone(dt.UTC)


@dataclass
class Office:
    store: Store
    intake: Intake
    manager: ClerkInfo
    clerk: ClerkInfo
    now: list[dt.datetime]

    def save(
        self, who: ClerkInfo, service: str, at: dt.datetime, corrects: str | None = None
    ) -> str:
        self.now[0] = at
        draft = RequestDraft(
            service,
            {
                "national_code": NAMES_AND_CODES[2],
                "first_name": NAMES_AND_CODES[0],
                "last_name": NAMES_AND_CODES[1],
                "mobile": NAMES_AND_CODES[3],
            },
            {},
            card_ref="123456",
        )
        saved = (
            self.intake.correct(who, corrects, draft) if corrects else self.intake.save(who, draft)
        )
        return saved.id


def _open(folder: Path) -> Office:
    store = Store.open(folder)
    clerks = {c.username: c for c in ClerkDirectory(store).list()}
    now = [tehran(DAY, 8, 0)]
    intake = Intake(store, CatalogStore(store), clock=lambda: now[0])
    return Office(store, intake, clerks["modir"], clerks["sara"], now)


def _fill(office: Office) -> None:
    """Two clerks, three days, both midnights, one correction."""
    before, after = DAY - dt.timedelta(days=1), DAY + dt.timedelta(days=1)
    office.save(office.manager, "alpha", tehran(before, 23, 59))  # the day before
    office.save(office.manager, "alpha", tehran(DAY, 0, 0))  # first instant of DAY
    office.save(office.clerk, "beta", tehran(DAY, 9, 15))
    original = office.save(office.clerk, "alpha", tehran(DAY, 11, 0))
    office.save(office.manager, "alpha", tehran(DAY, 12, 0), corrects=original)
    office.save(office.clerk, "beta", tehran(DAY, 23, 50))  # 20:20 UTC: still DAY
    office.save(office.manager, "beta", tehran(after, 0, 10))  # 20:40 UTC on DAY's date


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Stores set up once and copied per test (migrations and fsyncs cost ~1 s a store)."""
    made: dict[str, Path] = {}
    for name in ("office", "busy"):
        folder = tmp_path_factory.mktemp(name)
        store = Store.open(folder)
        initialise(store, office_code="1001", office_name="دفتر پیشخوان ۱۰۰۱", counter_no=1)
        clerks = ClerkDirectory(store)
        manager = clerks.create_manager("modir", "مدیر دفتر", "password-1")
        clerks.add_clerk(manager, "sara", "سارا کریمی", "password-1")
        CatalogStore(store).import_catalog(Catalog.from_document(CATALOG))
        store.close()
        if name == "busy":
            office = _open(folder)
            _fill(office)
            office.store.close()
        made[name] = folder
    return made


def _copy(template: Path, folder: Path) -> Office:
    folder.mkdir()
    for path in template.iterdir():
        if path.name.startswith(DB_FILENAME):
            shutil.copy2(path, folder / path.name)
    return _open(folder)


@pytest.fixture
def office(templates: dict[str, Path], tmp_path: Path) -> Iterator[Office]:
    office = _copy(templates["office"], tmp_path / "data")
    yield office
    office.store.close()


@pytest.fixture
def busy_day(templates: dict[str, Path], tmp_path: Path) -> Iterator[Office]:
    office = _copy(templates["busy"], tmp_path / "data")
    yield office
    office.store.close()


def lines(summary: DaySummary) -> list[tuple[str, str, bool, Takings]]:
    return [(x.clerk_username, x.service_code, x.correction, x.takings) for x in summary.lines]


def test_tehran_midnight_not_utc_midnight_decides_the_day(busy_day: Office) -> None:
    late = tehran(DAY, 23, 50)
    assert (late.hour, late.minute, late.date()) == (20, 20, DAY)  # the trap: UTC says DAY
    next_day = day_summary(busy_day.store, DAY + dt.timedelta(days=1))
    assert tehran(DAY + dt.timedelta(days=1), 0, 10).date() == DAY  # same UTC date, other day
    assert lines(next_day) == [("modir", "beta", False, BETA)]
    day_before = day_summary(busy_day.store, DAY - dt.timedelta(days=1))
    assert lines(day_before) == [("modir", "alpha", False, ALPHA)]
    assert day_summary(busy_day.store, DAY).start == tehran(DAY, 0, 0)


def test_day_sums_per_clerk_and_service_with_corrections_as_their_own_lines(
    busy_day: Office,
) -> None:
    summary = day_summary(busy_day.store, DAY)
    assert summary.jalali == "1405/09/04"
    assert summary.jalali_text("fa") == "چهارشنبه ۱۴۰۵/۰۹/۰۴"
    # Sorted by clerk name (سارا before مدیر), new requests before corrections.
    assert lines(summary) == [
        ("sara", "alpha", False, ALPHA),
        ("sara", "beta", False, BETA + BETA),
        ("modir", "alpha", False, ALPHA),
        ("modir", "alpha", True, ALPHA),
    ]
    # Both the corrected request and its correction were paid at the counter: both count.
    assert summary.total == ALPHA + BETA + BETA + ALPHA + ALPHA
    assert summary.total.to_dict() == {
        "count": 5,
        "government": 300_000,
        "office": 210_000,
        "vat": 21_000,
        "fees": 531_000,
        "collected": 0,
        "total": 531_000,
    }
    assert summary.corrections == ALPHA
    assert summary.originals == ALPHA + ALPHA + BETA + BETA
    by_clerk = {c.clerk_username: (c.takings, c.corrections) for c in summary.clerks}
    assert by_clerk == {"sara": (ALPHA + BETA + BETA, Takings()), "modir": (ALPHA + ALPHA, ALPHA)}
    assert summary.lines[0].service_title.fa == "خدمت الف"
    assert summary.clerks[0].clerk_name == "سارا کریمی"


def test_one_clerk_sees_only_their_own_day(busy_day: Office) -> None:
    mine = day_summary(busy_day.store, DAY, busy_day.clerk.id)
    assert {x.clerk_username for x in mine.lines} == {"sara"}
    assert mine.total == ALPHA + BETA + BETA
    assert visible_clerk(busy_day.clerk, None) == busy_day.clerk.id
    assert visible_clerk(busy_day.clerk, busy_day.clerk.id) == busy_day.clerk.id
    assert visible_clerk(busy_day.manager, busy_day.clerk.id) == busy_day.clerk.id
    assert visible_clerk(busy_day.manager, None) is None
    with pytest.raises(PermissionDeniedError):
        visible_clerk(busy_day.clerk, busy_day.manager.id)


def test_an_empty_day_sums_to_zero(office: Office) -> None:
    summary = day_summary(office.store, DAY)
    assert summary.lines == () and summary.total == Takings() and summary.total.total == 0
    assert csv_rows(summary, "en")[-2] == ["Grand total", "", "", "", "", 0, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("clerk_filter", [False, True])
def test_the_day_query_reads_only_the_days_rows_through_the_created_at_index(
    office: Office, clerk_filter: bool
) -> None:
    plan = " ".join(query_plan(office.store, DAY, office.clerk.id if clerk_filter else None))
    assert "USING INDEX ix_requests_created_at (created_at>? AND created_at<?)" in plan
    assert "SCAN requests" not in plan


def test_csv_has_the_bom_the_jalali_day_and_one_row_per_clerk_service_and_kind(
    busy_day: Office, tmp_path: Path
) -> None:
    path = export_csv(day_summary(busy_day.store, DAY), tmp_path / "day.csv", "fa")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads Persian correctly only with it
    assert not raw.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    assert b"\r\n" in raw
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][0] == "گزارش بستن روز پیشخوان"
    assert rows[0][1] == "روز: چهارشنبه ۱۴۰۵/۰۹/۰۴"
    assert rows[0][2] == "2026-11-25"
    assert rows[1][5:] == [
        "تعداد",
        "هزینهٔ دولتی (ریال)",
        "کارمزد دفتر (ریال)",
        "مالیات بر ارزش افزوده (ریال)",
        "جمع کارمزدها و هزینه‌ها (ریال)",
        "وجوه دریافتی برای دیگران (ریال)",
        "جمع دریافتی (ریال)",
    ]
    assert rows[2:] == [
        [
            "سارا کریمی",
            "sara",
            "alpha",
            "خدمت الف",
            "درخواست",
            "1",
            "100000",
            "50000",
            "5000",
            "155000",
            "0",
            "155000",
        ],
        [
            "سارا کریمی",
            "sara",
            "beta",
            "خدمت ب",
            "درخواست",
            "2",
            "0",
            "60000",
            "6000",
            "66000",
            "0",
            "66000",
        ],
        [
            "مدیر دفتر",
            "modir",
            "alpha",
            "خدمت الف",
            "درخواست",
            "1",
            "100000",
            "50000",
            "5000",
            "155000",
            "0",
            "155000",
        ],
        [
            "مدیر دفتر",
            "modir",
            "alpha",
            "خدمت الف",
            "اصلاحیه",
            "1",
            "100000",
            "50000",
            "5000",
            "155000",
            "0",
            "155000",
        ],
        ["جمع کل", "", "", "", "", "5", "300000", "210000", "21000", "531000", "0", "531000"],
        ["از این میان اصلاحیه", "", "", "", "", "1", *ALPHA_CSV],
    ]
    assert not list(tmp_path.glob(".*partial"))


def test_csv_in_english_and_text_that_excel_would_run_as_a_formula(
    office: Office, tmp_path: Path
) -> None:
    clerks = ClerkDirectory(office.store)
    sly = clerks.add_clerk(office.manager, "sly", '=HYPERLINK("http://x")', "password-1")
    office.save(sly, "beta", tehran(DAY, 10, 0))
    path = export_csv(day_summary(office.store, DAY), tmp_path / "day.csv", "en")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][1] == "Day (Jalali): Wednesday 1405/09/04"
    assert rows[2][:5] == ['\'=HYPERLINK("http://x")', "sly", "beta", "Beta", "Request"]


def _events(store: Store, action: Action) -> list[AuditEvent]:
    with store.read() as s:
        return list(
            s.scalars(
                select(AuditEvent).where(AuditEvent.action == str(action)).order_by(AuditEvent.id)
            )
        )


def test_close_day_records_the_totals_and_no_personal_data(busy_day: Office) -> None:
    summary = close_day(busy_day.store, busy_day.manager, DAY)
    assert summary.clerk_id is None and summary.total.total == 531_000
    (event,) = _events(busy_day.store, Action.DAY_CLOSED)
    detail = json.loads(event.detail)
    assert event.clerk_id == busy_day.manager.id
    assert detail["day"] == "2026-11-25" and detail["jalali"] == "1405/09/04"
    assert detail["scope"] == "all" and detail["earlier_closes"] == 0
    assert detail["totals"] == summary.total.to_dict()
    assert detail["corrections"]["count"] == 1
    assert detail["clerks"][str(busy_day.clerk.id)]["total"] == 221_000
    for personal in (*NAMES_AND_CODES, "سارا", "مدیر دفتر"):
        assert personal not in event.detail

    # A late request, then a second close: recorded again, with the count of earlier ones.
    busy_day.save(busy_day.clerk, "beta", tehran(DAY, 23, 55))
    again = close_day(busy_day.store, busy_day.manager, DAY)
    assert again.total.total == 531_000 + 33_000
    assert json.loads(_events(busy_day.store, Action.DAY_CLOSED)[-1].detail)["earlier_closes"] == 1
    assert times_closed(busy_day.store, DAY) == 2
    assert times_closed(busy_day.store, DAY, busy_day.clerk.id) == 0


def test_a_clerk_closes_only_their_own_day(busy_day: Office) -> None:
    summary = close_day(busy_day.store, busy_day.clerk, DAY)
    assert summary.clerk_id == busy_day.clerk.id
    assert summary.total == ALPHA + BETA + BETA
    assert json.loads(_events(busy_day.store, Action.DAY_CLOSED)[0].detail)["scope"] == (
        busy_day.clerk.id
    )
    assert times_closed(busy_day.store, DAY, busy_day.clerk.id) == 1
    assert times_closed(busy_day.store, DAY) == 0


def test_export_is_audited(busy_day: Office) -> None:
    summary = day_summary(busy_day.store, DAY)
    record_export(busy_day.store, busy_day.manager, summary, how="pdf")
    (event,) = _events(busy_day.store, Action.DAY_EXPORTED)
    assert json.loads(event.detail) == {
        "day": "2026-11-25",
        "how": "pdf",
        "rows": 4,
        "scope": "all",
        "total": 531_000,
    }
