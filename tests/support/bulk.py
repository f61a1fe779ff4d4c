"""Filling a local store with many realistic requests, fast (tests and benchmarks).

``fill_requests(store, n)`` writes ``n`` requests with their state history and
outbox entries straight through ``executemany`` in large transactions: a
million rows in well under a minute, where the intake use case (one
transaction, one fsync per request) would take hours. What it writes is what
the counter and the sync would have written: valid national codes (check
digit computed), Iranian mobiles, Persian names in their stored spelling,
answers that pass the service's own validation, fees from the catalogue,
gap-free per-device sequence numbers and references, creation times in the
office's working hours over the last ``days`` days (newest = highest
``local_id``), and a mix of states with reasons and tracking codes.

Content hashes are real (``desktop.wire.request_item`` fields +
``sync.protocol.content_hash``) unless ``real_hashes=False``, which stores
``PLACEHOLDER_HASH`` instead and saves about a third of the time.
"""

from __future__ import annotations

import atexit
import datetime as dt
import json
import random
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from desktop import samples
from desktop.catalog_store import CatalogStore, demo_catalog_path
from desktop.clock import TEHRAN
from desktop.db.engine import DB_FILENAME, Store
from desktop.db.types import UTCDateTime
from desktop.states import State
from desktop.wire import item_from_columns
from rules.catalog import (
    Catalog,
    Field,
    FieldType,
    Service,
    ValidationFailed,
    load_catalog_file,
    validate_request,
)
from sync.protocol import content_hash, utc_iso

#: Stored as ``content_hash`` when ``real_hashes=False``: not a sha256, never pushable.
PLACEHOLDER_HASH = "bulk-placeholder-not-a-real-content-hash"

BULK_CLERK = "bulk"

MALE_NAMES = (
    "محمد",
    "علی",
    "حسین",
    "رضا",
    "مهدی",
    "امیر",
    "حسن",
    "محمدرضا",
    "مصطفی",
    "سعید",
    "احمد",
    "جواد",
    "مجید",
    "عباس",
    "ابوالفضل",
    "یوسف",
    "کاظم",
    "بهروز",
    "فرهاد",
    "داوود",
    "اکبر",
    "اصغر",
    "ناصر",
    "حمید",
    "مرتضی",
    "سجاد",
    "میلاد",
    "پویا",
    "آرش",
    "کوروش",
    "بهرام",
    "یعقوب",
    "نادر",
    "منصور",
    "غلامرضا",
    "اسماعیل",
    "ابراهیم",
    "قاسم",
    "صادق",
    "هادی",
)
FEMALE_NAMES = (
    "فاطمه",
    "زهرا",
    "مریم",
    "معصومه",
    "زینب",
    "سکینه",
    "لیلا",
    "نرگس",
    "سمیه",
    "مهسا",
    "نازنین",
    "سارا",
    "الهام",
    "ریحانه",
    "کبری",
    "صغری",
    "طاهره",
    "پروین",
    "شهلا",
    "منیژه",
    "ژیلا",
    "آذر",
    "فرشته",
    "مینا",
    "شیرین",
    "هانیه",
    "ملیکا",
    "رقیه",
    "بتول",
    "اعظم",
)
LAST_NAMES = (
    "محمدی",
    "حسینی",
    "احمدی",
    "رضایی",
    "موسوی",
    "کریمی",
    "هاشمی",
    "رحیمی",
    "جعفری",
    "صادقی",
    "قاسمی",
    "اکبری",
    "کاظمی",
    "عباسی",
    "نوری",
    "حیدری",
    "مرادی",
    "سلطانی",
    "ابراهیمی",
    "یوسفی",
    "عسگری",
    "بهرامی",
    "رستمی",
    "شریفی",
    "نجفی",
    "طاهری",
    "فرهادی",
    "زارعی",
    "کرمانی",
    "شیرازی",
    "تبریزی",
    "اصفهانی",
    "قزوینی",
    "یزدانی",
    "خسروی",
    "میرزایی",
    "ملکی",
    "امیری",
    "باقری",
    "حسین‌زاده",
    "علی‌پور",
    "قلی‌زاده",
    "نیک‌نام",
    "فتحی",
    "کیانی",
    "سبحانی",
    "مختاری",
    "دهقان",
    "کشاورز",
    "آقایی",
    "پورمحمدی",
    "جهانگیری",
    "سلیمانی",
    "رنجبر",
    "افشار",
    "بختیاری",
    "لرستانی",
    "کردستانی",
    "گیلانی",
)
CITIES = (
    "تهران",
    "مشهد",
    "اصفهان",
    "شیراز",
    "تبریز",
    "کرج",
    "قم",
    "اهواز",
    "کرمانشاه",
    "رشت",
    "کرمان",
    "همدان",
    "یزد",
    "اردبیل",
    "بندرعباس",
    "زنجان",
    "سنندج",
    "قزوین",
    "خرم‌آباد",
    "گرگان",
    "ساری",
    "بیرجند",
    "بوشهر",
    "ایلام",
    "شهرکرد",
    "یاسوج",
    "سمنان",
    "بجنورد",
)
STREETS = (
    "خیابان انقلاب",
    "خیابان آزادی",
    "بلوار کشاورز",
    "خیابان امام خمینی",
    "کوچهٔ بهار",
    "خیابان شهید بهشتی",
    "بلوار معلم",
    "خیابان فردوسی",
    "کوچهٔ نسترن",
    "خیابان سعدی",
)

NEEDS_ATTENTION_REASONS = (
    (
        "کد ملی با نام و نام خانوادگی در ثبت احوال مطابقت ندارد.",
        "The national code does not match the name at the civil registry.",
    ),
    ("این خدمت برای این دفتر فعال نیست.", "This service is not enabled for this office."),
    (
        "شمارهٔ همراه به نام متقاضی ثبت نشده است.",
        "The mobile number is not registered to the applicant.",
    ),
)
NEEDS_CORRECTION_REASONS = (
    (
        "تصویر شناسنامه خوانا نیست؛ دوباره اسکن کنید.",
        "The birth certificate scan is not legible; scan it again.",
    ),
    ("نشانی محل سکونت کامل نیست.", "The home address is incomplete."),
    (
        "تاریخ تولد با مدارک هویتی یکسان نیست.",
        "The birth date differs from the identity documents.",
    ),
)
REJECTED_REASONS = (
    (
        "متقاضی پیش‌تر همین درخواست را ثبت کرده است.",
        "The applicant already has the same request in progress.",
    ),
    ("متقاضی مشمول این خدمت نیست.", "The applicant is not eligible for this service."),
)

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_VARIANTS_PER_SERVICE = 48


@dataclass(frozen=True)
class BulkResult:
    count: int
    first_local_id: int
    last_local_id: int
    seconds: float


# --- Identifiers with their published check digits ----------------------------------------
# The same generators as the demo data and the command line's samples (desktop.samples):
# one implementation of each published algorithm's "make a valid one".

random_national_code = samples.national_code
random_mobile = samples.mobile


# --- Answers that pass the service's own validation ---------------------------------------


def _raw_answer(f: Field, rng: random.Random) -> str:
    match f.type:
        case FieldType.TEXT:
            if "father" in f.key:
                return rng.choice(MALE_NAMES)
            if "city" in f.key or "place" in f.key:
                return rng.choice(CITIES)
            if f.key.endswith(("_no", "_code", "number", "plate", "vin")):
                return f"{rng.randrange(10**9):09d}"[: f.max_length or 200]
            if "name" in f.key:
                return f"{rng.choice(LAST_NAMES)} و شرکا"[: f.max_length or 200]
            return rng.choice(CITIES)[: f.max_length or 200]
        case FieldType.NATIONAL_CODE:
            return random_national_code(rng)
        case FieldType.MOBILE:
            return random_mobile(rng)
        case FieldType.POSTAL_CODE:
            return samples.postal_code(rng)
        case FieldType.JALALI_DATE:
            year, month, day = rng.randrange(1330, 1385), rng.randrange(1, 13), rng.randrange(1, 30)
            return f"{year}/{month:02d}/{day:02d}"
        case FieldType.NUMBER:
            low = f.min_value if f.min_value is not None else 1
            high = f.max_value if f.max_value is not None else max(low, 1) + 20
            return str(rng.randint(low, high))
        case FieldType.CHOICE:
            return rng.choice(f.choices).value
        case FieldType.MONEY:
            return str(rng.randrange(1, 500) * 100_000)
        case FieldType.SHEBA:
            return samples.sheba(rng)
        case FieldType.BANK_CARD:
            return samples.bank_card(rng)


@dataclass(frozen=True)
class _Variant:
    answers_json: str
    answers: dict[str, str]
    documents_json: str
    documents: list[str]
    government_fee: int
    office_fee: int
    vat: int


def _variants(service: Service, rng: random.Random, today: dt.date) -> list[_Variant]:
    applicant = {
        "national_code": "0013542419",
        "first_name": "علی",
        "last_name": "رضایی",
        "mobile": "09121234567",
    }
    out: list[_Variant] = []
    for _ in range(_VARIANTS_PER_SERVICE * 3):
        raw = {
            f.key: _raw_answer(f, rng) for f in service.fields if f.required or rng.random() < 0.6
        }
        docs = [d.key for d in service.documents if d.required or rng.random() < 0.5]
        try:
            form = validate_request(service, applicant, raw, docs, today=today)
        except ValidationFailed:
            continue  # a generator slip on an unusual field: try another draw
        out.append(
            _Variant(
                answers_json=json.dumps(form.answers, ensure_ascii=False, sort_keys=True),
                answers=form.answers,
                documents_json=json.dumps(form.documents, ensure_ascii=False),
                documents=form.documents,
                government_fee=form.fees.government,
                office_fee=form.fees.office,
                vat=form.fees.vat,
            )
        )
        if len(out) == _VARIANTS_PER_SERVICE:
            break
    if not out:
        raise RuntimeError(f"no valid answers could be generated for service {service.code!r}")
    return out


# --- When: working hours in Tehran, spread over the window ---------------------------------


def _working_intervals(start: dt.datetime, end: dt.datetime) -> list[tuple[float, float]]:
    """UTC epoch intervals of office hours: Sat-Wed 07:30-16:00, Thu 08:00-12:30, Fri closed."""
    intervals: list[tuple[float, float]] = []
    day = start.astimezone(TEHRAN).date()
    while day <= end.astimezone(TEHRAN).date():
        weekday = day.weekday()  # Monday 0 ... Friday 4, Saturday 5
        if weekday != 4:
            opens, closes = ((8, 0), (12, 30)) if weekday == 3 else ((7, 30), (16, 0))
            a = dt.datetime(day.year, day.month, day.day, *opens, tzinfo=TEHRAN).timestamp()
            b = dt.datetime(day.year, day.month, day.day, *closes, tzinfo=TEHRAN).timestamp()
            a, b = max(a, start.timestamp()), min(b, end.timestamp())
            if b > a:
                intervals.append((a, b))
        day += dt.timedelta(days=1)
    if not intervals:  # a window inside a Friday: use it whole
        intervals.append((start.timestamp(), end.timestamp()))
    return intervals


def _moments(n: int, start: dt.datetime, end: dt.datetime, rng: random.Random) -> Iterator[float]:
    """n increasing epoch seconds inside office hours between start and end."""
    intervals = _working_intervals(start, end)
    total = sum(b - a for a, b in intervals)
    step = total / max(n, 1)
    k, used = 0, 0.0  # interval index and the working seconds before it
    for i in range(n):
        position = step * (i + 0.1 + 0.8 * rng.random())
        while k < len(intervals) - 1 and position >= used + intervals[k][1] - intervals[k][0]:
            used += intervals[k][1] - intervals[k][0]
            k += 1
        yield intervals[k][0] + (position - used)


_DAY_PREFIX: dict[int, str] = {}


def _text(epoch: float) -> str:
    """The store's UTC text form (as ``UTCDateTime`` writes it), ~5x faster than strftime."""
    micros = round(epoch * 1_000_000)
    day, rest = divmod(micros, 86_400_000_000)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = _DAY_PREFIX[day] = (dt.datetime(1970, 1, 1) + dt.timedelta(days=day)).strftime(
            "%Y-%m-%dT"
        )
    seconds, us = divmod(rest, 1_000_000)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{prefix}{hh:02d}:{mm:02d}:{ss:02d}.{us:06d}Z"


# --- The rows ------------------------------------------------------------------------------


def _state_for(rng: random.Random, age_seconds: float) -> State:
    r = rng.random()
    if age_seconds < 86_400:  # today's work: mostly still on this PC
        if r < 0.60:
            return State.QUEUED
        if r < 0.63:
            return State.SENDING
        if r < 0.97:
            return State.ACCEPTED
        return State.NEEDS_ATTENTION
    for state, upto in (
        (State.COMPLETED, 0.55),
        (State.ACCEPTED, 0.87),
        (State.NEEDS_CORRECTION, 0.91),
        (State.REJECTED, 0.94),
        (State.NEEDS_ATTENTION, 0.96),
    ):
        if r < upto:
            return state
    return State.QUEUED


def _ensure_identity(store: Store, conn: sqlite3.Connection) -> tuple[str, str, int, int, str]:
    """(device id, office code, counter no, clerk id, clerk username), creating them if absent."""
    from desktop.clerks import ClerkDirectory
    from desktop.office import initialise

    row = conn.execute("SELECT id, office_code, counter_no FROM devices").fetchone()
    if row is None:
        initialise(store, office_code="1001", office_name="دفتر پیشخوان نمونه", counter_no=1)
        row = conn.execute("SELECT id, office_code, counter_no FROM devices").fetchone()
    clerk = conn.execute("SELECT id, username FROM clerks ORDER BY id LIMIT 1").fetchone()
    if clerk is None:
        info = ClerkDirectory(store).create_manager(BULK_CLERK, "کاربر نمونه", "bulk-password-1")
        clerk = (info.id, info.username)
    return row[0], row[1], int(row[2]), int(clerk[0]), str(clerk[1])


def _catalog(store: Store, catalog: Catalog | None) -> Catalog:
    catalogs = CatalogStore(store)
    if catalog is None:
        if catalogs.current_version() is not None:
            return catalogs.current()
        catalog = load_catalog_file(demo_catalog_path())
    catalogs.import_catalog(catalog, source="demo")  # the detail view reads it by version
    return catalog


def fill_requests(
    store: Store,
    n: int,
    *,
    catalog: Catalog | None = None,
    seed: int = 1403,
    now: dt.datetime | None = None,
    days: int = 60,
    real_hashes: bool = True,
    batch_size: int = 50_000,
    rebuild_indexes: bool | None = None,
) -> BulkResult:
    """Append ``n`` requests (with state history and outbox rows) to the store.

    Uses the store's device and first clerk (creating office 1001, counter 1 and a
    ``bulk`` manager when the store is fresh), the given catalogue or else the
    store's current one or else the demo catalogue. Deterministic for a seed.
    ``rebuild_indexes`` (default: when n >= 10,000) drops the secondary indexes
    during the fill and recreates them from their stored SQL afterwards, which
    is several times faster than keeping a dozen random-order B-trees up to date.
    """
    started = time.perf_counter()
    rng = random.Random(seed)
    now = now or dt.datetime.now(dt.UTC)
    catalog = _catalog(store, catalog)
    services = [s for s in catalog.services if s.active] or list(catalog.services)
    today = now.astimezone(TEHRAN).date()
    variants = {s.code: _variants(s, rng, today) for s in services}
    # A few services are much busier than others, as at a real counter: the i-th service
    # appears in the pick list in proportion to 1/(i+1).
    service_pick = [s for i, s in enumerate(services) for _ in range(max(1, 60 // (i + 1)))]
    if rebuild_indexes is None:
        rebuild_indexes = n >= 10_000

    conn = sqlite3.connect(store.path, isolation_level=None)
    try:
        # A fixture, not the counter: durability of a half-filled test database does not matter.
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-262144")
        conn.execute("PRAGMA temp_store=MEMORY")
        device_id, office, counter, clerk_id, clerk_name = _ensure_identity(store, conn)
        next_seq = conn.execute(
            "SELECT next_seq FROM devices WHERE id = ?", (device_id,)
        ).fetchone()[0]
        tracking_next = (
            1
            + conn.execute(
                "SELECT count(*) FROM requests WHERE tracking_code IS NOT NULL"
            ).fetchone()[0]
        )
        before = conn.execute("SELECT coalesce(max(local_id), 0) FROM requests").fetchone()[0]
        dropped = _drop_secondary_indexes(conn) if rebuild_indexes else []
        try:
            rows = _Rows(
                rng,
                now,
                days,
                n,
                catalog.version,
                variants,
                service_pick,
                device_id,
                office,
                counter,
                clerk_id,
                clerk_name,
                tracking_next,
                real_hashes,
            )
            # The next batch is generated on a second thread while this one is written:
            # sqlite3 lets go of the GIL inside its statements, so the two overlap.
            sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]
            with ThreadPoolExecutor(max_workers=1) as generator:
                first_seqs = [next_seq + sum(sizes[:i]) for i in range(len(sizes))]
                pending = generator.submit(rows.batch, first_seqs[0], sizes[0]) if sizes else None
                for i, size in enumerate(sizes):
                    assert pending is not None
                    requests, changes, outbox = pending.result()
                    pending = (
                        generator.submit(rows.batch, first_seqs[i + 1], sizes[i + 1])
                        if i + 1 < len(sizes)
                        else None
                    )
                    next_seq += size
                    _write(conn, requests, changes, outbox, device_id, next_seq)
        finally:
            if dropped:
                conn.execute("BEGIN IMMEDIATE")
                for sql in dropped:
                    conn.execute(sql)
                conn.execute("COMMIT")
        after = conn.execute("SELECT coalesce(max(local_id), 0) FROM requests").fetchone()[0]
    finally:
        conn.close()
    return BulkResult(n, before + 1, after, time.perf_counter() - started)


_BULK_TABLES = ("requests", "request_state_changes", "outbox")


def _drop_secondary_indexes(conn: sqlite3.Connection) -> list[str]:
    """Drop the named (non-constraint) indexes of the bulk tables; returns their CREATE SQL."""
    marks = ",".join("?" * len(_BULK_TABLES))
    found = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks})",
        _BULK_TABLES,
    ).fetchall()
    conn.execute("BEGIN IMMEDIATE")
    for name, _sql in found:
        conn.execute(f'DROP INDEX "{name}"')
    conn.execute("COMMIT")
    return [sql for _name, sql in found]


_OUTBOX_STATUS = {
    State.QUEUED: "queued",
    State.SENDING: "sending",
    State.NEEDS_ATTENTION: "attention",
}


class _Rows:
    """Generates the rows of consecutive requests; the hot loop of a million-row fill."""

    def __init__(
        self,
        rng: random.Random,
        now: dt.datetime,
        days: int,
        n: int,
        catalog_version: int,
        variants: dict[str, list[_Variant]],
        service_pick: list[Service],
        device_id: str,
        office: str,
        counter: int,
        clerk_id: int,
        clerk_name: str,
        tracking_next: int,
        real_hashes: bool,
    ) -> None:
        self.rng = rng
        self.now_epoch = now.timestamp()
        self.moments = _moments(n, now - dt.timedelta(days=days), now, rng)
        self.catalog_version = catalog_version
        self.variants = variants
        self.service_pick = service_pick
        self.device_id, self.office, self.counter = device_id, office, counter
        self.clerk_id, self.clerk_name = clerk_id, clerk_name
        self.tracking_next = tracking_next
        self.real_hashes = real_hashes
        self.people: list[tuple[str, str, str, str, str]] = []

    def _person(self) -> tuple[str, str, str, str, str]:
        """(first, last, national code, mobile, address); one in four is a returning citizen."""
        rng, people = self.rng, self.people
        if people and rng.random() < 0.25:
            return people[int(rng.random() * len(people))]
        names = FEMALE_NAMES if rng.random() < 0.48 else MALE_NAMES
        address = (
            f"{CITIES[int(rng.random() * len(CITIES))]}، "
            f"{STREETS[int(rng.random() * len(STREETS))]}، پلاک {rng.randrange(1, 300)}"
            if rng.random() < 0.7
            else ""
        )
        person = (
            names[int(rng.random() * len(names))],
            LAST_NAMES[int(rng.random() * len(LAST_NAMES))],
            random_national_code(rng),
            random_mobile(rng),
            address,
        )
        people.append(person)
        return person

    def batch(
        self, first_seq: int, size: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        rng, rand = self.rng, self.rng.random
        requests: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        outbox: list[tuple[Any, ...]] = []
        office, counter, clerk_id = self.office, self.counter, self.clerk_id
        picks = self.service_pick
        for seq in range(first_seq, first_seq + size):
            created = next(self.moments)
            created_text = _text(created)
            service = picks[int(rand() * len(picks))]
            options = self.variants[service.code]
            v = options[int(rand() * len(options))]
            h = f"{rng.getrandbits(128):032x}"  # a version-4 UUID, 3x faster than uuid.UUID
            variant = "89ab"[int(h[16], 16) & 3]
            request_id = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"
            first, last, national, mobile, address = self._person()
            card_ref = str(rng.randrange(10**11, 10**12)) if rand() < 0.8 else ""
            reference = f"{office}-{counter}-{seq:06d}"
            state = _state_for(rng, self.now_epoch - created)

            history = [
                (request_id, State.QUEUED.value, None, None, "counter", clerk_id, created_text)
            ]
            tracking = reason = None
            t = created
            if state is not State.QUEUED and state is not State.SENDING:
                t = min(t + rng.uniform(60, 6 * 3600), self.now_epoch)
                if state is State.NEEDS_ATTENTION:
                    reason = NEEDS_ATTENTION_REASONS[int(rand() * len(NEEDS_ATTENTION_REASONS))]
                    history.append((request_id, state.value, *reason, "sync", None, _text(t)))
                else:
                    tracking = f"PK-{office}-{self.tracking_next:010d}"
                    self.tracking_next += 1
                    history.append(
                        (request_id, State.ACCEPTED.value, None, None, "sync", None, _text(t))
                    )
                    if state is not State.ACCEPTED:
                        t = min(t + rng.uniform(3600, 10 * 86_400), self.now_epoch)
                        if state is State.NEEDS_CORRECTION:
                            reason = rng.choice(NEEDS_CORRECTION_REASONS)
                        elif state is State.REJECTED:
                            reason = rng.choice(REJECTED_REASONS)
                        history.append(
                            (
                                request_id,
                                state.value,
                                *(reason or (None, None)),
                                "server",
                                None,
                                _text(t),
                            )
                        )
            updated = history[-1][6]
            content = (
                request_id,
                self.device_id,
                seq,
                reference,
                office,
                service.code,
                service.title.fa,
                service.title.en,
                self.catalog_version,
                national,
                first,
                last,
                mobile,
                address,
                v.answers_json,
                v.documents_json,
                v.government_fee,
                v.office_fee,
                v.vat,
                card_ref,
                clerk_id,
                self.clerk_name,
                created_text,
                None,
            )
            if self.real_hashes:
                fields = _hash_fields(content, v, created)
                if not requests and fields != _wire_fields(content):
                    raise AssertionError("bulk rows no longer hash like desktop.wire")
                digest = content_hash(fields)
            else:
                digest = PLACEHOLDER_HASH
            requests.append(
                (
                    *content,
                    digest,
                    state.value,
                    reason[0] if reason else None,
                    reason[1] if reason else None,
                    tracking,
                    updated,
                )
            )
            changes.extend(history)
            status = _OUTBOX_STATUS.get(state, "done")
            outbox.append(
                (
                    request_id,
                    seq,
                    0 if status == "queued" else 1,
                    created_text,
                    None if status == "queued" else history[min(1, len(history) - 1)][6],
                    updated if status == "done" else None,
                    reason[1] if status == "attention" and reason else None,
                )
            )
        return requests, changes, outbox


def _hash_fields(request: tuple[Any, ...], v: _Variant, created: float) -> dict[str, Any]:
    """What ``desktop.wire.request_item`` gives for this row, without building a Request."""
    (
        request_id,
        _device,
        seq,
        reference,
        office,
        service_code,
        _fa,
        _en,
        catalog_version,
        national,
        first,
        last,
        mobile,
        address,
        _aj,
        _dj,
        government,
        office_fee,
        vat,
        card_ref,
        _clerk_id,
        clerk,
        _created,
        supersedes,
    ) = request[:24]
    return {
        "id": request_id,
        "seq": seq,
        "reference": reference,
        "office_code": office,
        "clerk": clerk,
        "service_code": service_code,
        "catalog_version": catalog_version,
        "created_at": utc_iso(dt.datetime.fromtimestamp(created, dt.UTC)),
        "applicant": {
            "national_code": national,
            "first_name": first,
            "last_name": last,
            "mobile": mobile,
            "address": address,
        },
        "answers": v.answers,
        "documents": v.documents,
        "fees": {"government": government, "office": office_fee, "vat": vat},
        "card_ref": card_ref,
        "supersedes": supersedes,
    }


def _wire_fields(request: tuple[Any, ...]) -> dict[str, Any]:
    """The same through the real ``request_fields``: a guard against the fast path drifting."""
    names = (
        "id",
        "device_id",
        "seq",
        "reference",
        "office_code",
        "service_code",
        "service_title_fa",
        "service_title_en",
        "catalog_version",
        "national_code",
        "first_name",
        "last_name",
        "mobile",
        "address",
        "answers_json",
        "documents_json",
        "government_fee",
        "office_fee",
        "vat",
        "card_ref",
        "clerk_id",
        "clerk_username",
        "created_at",
        "supersedes_id",
    )
    values = dict(zip(names, request[:24], strict=True))
    values["created_at"] = UTCDateTime().process_result_value(values["created_at"], None)
    values["content_hash"] = ""
    fields = msgspec.structs.asdict(item_from_columns(values))
    del fields["content_hash"]
    if fields["scans"] is None:  # left out of the canonical form when there are none
        del fields["scans"]
    return fields


_INSERT_REQUEST = (
    "INSERT INTO requests (id, device_id, seq, reference, office_code, service_code,"
    " service_title_fa, service_title_en, catalog_version, national_code, first_name,"
    " last_name, mobile, address, answers_json, documents_json, government_fee, office_fee,"
    " vat, card_ref, clerk_id, clerk_username, created_at, supersedes_id, content_hash, state,"
    " reason_fa, reason_en, tracking_code, updated_at)"
    " VALUES (" + ",".join("?" * 30) + ")"
)
_INSERT_CHANGE = (
    "INSERT INTO request_state_changes (request_id, state, reason_fa, reason_en, source,"
    " clerk_id, at) VALUES (?,?,?,?,?,?,?)"
)
_INSERT_OUTBOX = (
    "INSERT INTO outbox (request_id, seq, attempts, enqueued_at, last_attempt_at,"
    " done_at, last_error) VALUES (?,?,?,?,?,?,?)"
)


def _write(
    conn: sqlite3.Connection,
    requests: Sequence[tuple[Any, ...]],
    changes: Sequence[tuple[Any, ...]],
    outbox: Sequence[tuple[Any, ...]],
    device_id: str,
    next_seq: int,
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(_INSERT_REQUEST, requests)
        conn.executemany(_INSERT_CHANGE, changes)
        conn.executemany(_INSERT_OUTBOX, outbox)
        conn.execute("UPDATE devices SET next_seq = ? WHERE id = ?", (next_seq, device_id))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# --- One filled database per test process, copied into each test's data folder --------------

_TEMPLATES: dict[tuple[object, ...], Path] = {}
_TEMPLATE_ROOT: Path | None = None


def template_database(
    n: int,
    *,
    key: str,
    prepare: Callable[[Store], object] | None = None,
    seed: int = 1403,
    now: dt.datetime | None = None,
    real_hashes: bool = False,
) -> Path:
    """A closed database file with ``n`` bulk requests, built once per process and per key.

    ``prepare`` runs on the fresh store first (e.g. the demo office and clerks); ``key``
    names what it does, so two different preparations never share a file. Copy the
    result into a test's data folder (``copy_database``) rather than opening it.
    """
    global _TEMPLATE_ROOT
    cache_key = (n, key, seed, now, real_hashes)
    cached = _TEMPLATES.get(cache_key)
    if cached is not None:
        return cached
    if _TEMPLATE_ROOT is None:
        _TEMPLATE_ROOT = Path(tempfile.mkdtemp(prefix="pishkhan-bulk-"))
        atexit.register(shutil.rmtree, _TEMPLATE_ROOT, True)
    folder = _TEMPLATE_ROOT / f"t{len(_TEMPLATES)}"
    store = Store.open(folder)
    try:
        if prepare is not None:
            prepare(store)
        fill_requests(store, n, seed=seed, now=now, real_hashes=real_hashes)
    finally:
        store.close()
    conn = sqlite3.connect(folder / DB_FILENAME)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file
    finally:
        conn.close()
    _TEMPLATES[cache_key] = folder / DB_FILENAME
    return folder / DB_FILENAME


def copy_database(template: Path, data_dir: Path) -> Path:
    """Put a copy of a template database where ``Store.open(data_dir)`` will find it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / DB_FILENAME
    shutil.copyfile(template, target)
    return target


# The UI tests' shared store (one build per pytest process): 20,000 requests as of a
# Wednesday afternoon in Tehran.
UI_TEST_REQUESTS = 20_000
UI_TEST_NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def open_bulk_store(
    data_dir: Path, n: int = UI_TEST_REQUESTS, *, now: dt.datetime = UI_TEST_NOW, seed: int = 1403
) -> Store:
    """The demo office (``desktop.demo.seed_demo`` without requests) plus ``n`` bulk requests,
    opened in ``data_dir``: built once per process, then copied (a 20,000-row copy: ~0.1 s)."""
    from desktop.demo import seed_demo

    template = template_database(
        n,
        key="demo-office",
        prepare=lambda store: seed_demo(store, requests=0),
        seed=seed,
        now=now,
    )
    copy_database(template, data_dir)
    return Store.open(data_dir)
