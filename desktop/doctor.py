"""``doctor``: what state this PC is in, and every half-state that would get in the way.

``examine`` looks at a data folder without changing it (no store is created, nothing is
migrated) and returns a ``DoctorReport``: plain facts (JSON-ready) and the problems
found, each with a machine code and a sentence in Persian and English that says what to
do. What it looks for:

- the database: present, opens, integrity, schema; the free disk space; a settings file
  that no longer reads (the program would silently fall back to the defaults);
- the set-up: an office and this PC, an active manager's account (a PC set up by an older
  program could be left without one), a catalogue to fill the form from; accounts with no
  PC recorded;
- enrolment: marked enrolled but no server address or no device token (a copied data
  folder, a wiped credential store), a token without the enrolment recorded (an
  interrupted enrolment), the server asking for re-enrolment;
- the queue's invariants: every request has its outbox entry, the per-PC sequence has no
  gaps and the device counter follows it.

``cmd_doctor`` prints it as readable lines in ``--lang`` or as JSON (``--json``); exit 1
if a problem was found.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.cli import EXIT_FAILED, EXIT_OK, NO_STORE, InputError, language, when
from desktop.clock import Clock, utc_now
from desktop.config import SETTINGS_FILE, Settings, resolve_data_dir
from desktop.db.peek import DB_FILENAME
from desktop.errors import DiskFullError
from rules.errors import UserFacingError
from rules.messages import Message

log = logging.getLogger("pishkhan.doctor")

# Below this the next saves may be refused: worth telling before the clerk finds out.
LOW_DISK_BYTES = 50_000_000


@dataclass(frozen=True)
class Finding:
    code: str
    message: Message

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "fa": self.message.fa, "en": self.message.en}


@dataclass
class DoctorReport:
    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[Finding] = field(default_factory=list)

    def problem(self, code: str, fa: str, en: str) -> None:
        self.problems.append(Finding(code, Message(fa=fa, en=en)))

    def to_json(self) -> dict[str, Any]:
        return {**self.facts, "problems": [p.to_json() for p in self.problems]}

    def lines(self, lang: str) -> list[str]:
        """The report for people, in ``lang``: facts, then each problem or "no problem"."""
        from desktop.receipt import digits
        from desktop.states import STATE_NAMES, State

        f = self.facts
        yes, no = (_t("yes", lang), _t("no", lang))

        def value(key: str) -> str:
            v = f.get(key)
            if isinstance(v, bool):
                return yes if v else no
            if v is None:
                return "-"
            if isinstance(v, dt.datetime):
                return when(v, lang)
            return digits(v, lang) if isinstance(v, int) or key == "office" else str(v)

        out = [f"{_t(key, lang)}: {value(key)}" for key in _SHOWN if key in f]
        known = {s.value for s in State}
        for state, count in (f.get("by_state") or {}).items():
            name = STATE_NAMES[State(state)].text(lang) if state in known else state
            out.append(f"  {name}: {digits(count, lang)}")
        if self.problems:
            out.append(_t("problems", lang))
            out += [f"  ✗ {p.message.text(lang)}" for p in self.problems]
        else:
            out.append(_t("no_problems", lang))
        return out


_LABELS = {
    "version": Message("نسخهٔ برنامه", "program version"),
    "data_dir": Message("پوشهٔ داده", "data folder"),
    "database": Message("پایگاه داده", "database"),
    "schema": Message("نسخهٔ ساختار پایگاه داده", "schema"),
    "integrity": Message("درستی پایگاه داده", "integrity"),
    "office": Message("دفتر", "office"),
    "counter": Message("باجه", "counter"),
    "device": Message("شناسهٔ این رایانه", "device"),
    "active_managers": Message("مدیران فعال", "active managers"),
    "clerks": Message("حساب‌های کاربری", "accounts"),
    "catalog_version": Message("نسخهٔ فهرست خدمات", "catalogue version"),
    "enrolled": Message("ثبت در سرور مرکزی", "enrolled"),
    "requests": Message("درخواست‌ها", "requests"),
    "waiting": Message("در انتظار ارسال", "waiting to be sent"),
    "oldest_waiting_at": Message("قدیمی‌ترین در انتظار از", "oldest waiting since"),
    "needs_attention": Message("نیازمند رسیدگی", "needing attention"),
    "free_disk_mb": Message("فضای آزاد دیسک (مگابایت)", "free disk (MB)"),
    "checked_at": Message("زمان بررسی", "checked at"),
    "problems": Message("مشکل‌ها:", "Problems:"),
    "no_problems": Message("مشکلی پیدا نشد.", "No problem found."),
    "yes": Message("بله", "yes"),
    "no": Message("خیر", "no"),
}
_SHOWN = (
    "version",
    "data_dir",
    "database",
    "schema",
    "integrity",
    "office",
    "counter",
    "device",
    "active_managers",
    "clerks",
    "catalog_version",
    "enrolled",
    "free_disk_mb",
    "checked_at",
    "waiting",
    "oldest_waiting_at",
    "needs_attention",
    "requests",
)


def _t(key: str, lang: str) -> str:
    return _LABELS[key].text(lang)


def examine(data_dir: Path, *, clock: Clock = utc_now) -> DoctorReport:
    """Look at ``data_dir`` (read only) and report its state and problems."""
    report = DoctorReport()
    facts = report.facts
    facts["version"] = __version__
    facts["data_dir"] = str(data_dir)
    facts["checked_at"] = clock()
    database = data_dir / DB_FILENAME
    facts["database"] = str(database)
    try:
        facts["free_disk_mb"] = shutil.disk_usage(data_dir).free // 1_000_000
    except OSError:
        facts["free_disk_mb"] = None
    else:
        if facts["free_disk_mb"] < 1:
            report.problem(
                "disk_full",
                "دیسک پر است: درخواستی ذخیره نمی‌شود. فضای دیسک را آزاد کنید؛ چیزی از دست "
                "نرفته است.",
                "The disk is full: no request can be saved. Free some disk space; nothing "
                "saved before is lost.",
            )
        elif facts["free_disk_mb"] * 1_000_000 < LOW_DISK_BYTES:
            report.problem(
                "low_disk",
                f"فضای آزاد دیسک کمتر از {LOW_DISK_BYTES // 1_000_000} مگابایت است؛ به‌زودی "
                "ذخیرهٔ درخواست‌ها ممکن نخواهد بود. فضای دیسک را آزاد کنید.",
                f"Less than {LOW_DISK_BYTES // 1_000_000} MB free on the disk: saving requests "
                "will soon be refused. Free some disk space.",
            )
    _check_settings(data_dir, report)
    if not database.is_file():
        raise InputError(
            NO_STORE.format(
                dir=Message(str(data_dir), str(data_dir)), file=Message(DB_FILENAME, DB_FILENAME)
            )
        )
    from sqlalchemy.exc import DBAPIError

    from desktop.db.engine import Store, translate_db_error

    try:
        store = Store.open(data_dir, migrate=False)
        store.integrity_check()  # the first connection: WAL set-up needs the disk
    except (UserFacingError, sqlite3.Error, DBAPIError, OSError) as exc:
        if isinstance(exc, UserFacingError):
            detail = exc.message.en
        else:
            detail = str(getattr(exc, "orig", exc))
        full = isinstance(exc, DiskFullError) or isinstance(translate_db_error(exc), DiskFullError)
        report.problem(
            "database_unopenable",
            f"پایگاه داده برای نوشتن باز نشد ({detail})"
            + ("؛ دیسک پر است: فضای آن را آزاد کنید." if full else "."),
            f"The database does not open for writing ({detail})"
            + ("; the disk is full: free some space." if full else "."),
        )
        _read_only_facts(database, report)
        return report
    try:
        _check_store(store, data_dir, report)
    except (UserFacingError, sqlite3.Error, DBAPIError) as exc:
        mapped = exc if isinstance(exc, UserFacingError) else translate_db_error(exc)
        if isinstance(mapped, UserFacingError):
            fa, en = mapped.message.fa, mapped.message.en
        else:
            fa = en = str(getattr(exc, "orig", exc))
        report.problem(
            "database_unreadable",
            f"پایگاه داده خوانده نشد: {fa}",
            f"The database could not be read: {en}",
        )
    finally:
        try:
            store.close()
        except Exception:  # closing a store on a failing disk must not hide the report
            log.warning("closing the store failed", exc_info=True)
    return report


def _read_only_facts(database: Path, report: DoctorReport) -> None:
    """What can still be read when the store does not open (a full disk: WAL needs to
    write): the file as it is on disk, read-only and immutable (the WAL's last commits
    are not seen), so the person fixing the PC sees what is at stake."""
    try:
        conn = sqlite3.connect(f"file:{database}?mode=ro&immutable=1", uri=True)
        try:
            facts = report.facts
            facts["integrity"] = conn.execute("PRAGMA quick_check").fetchone()[0]
            facts["requests"] = conn.execute("SELECT count(*) FROM requests").fetchone()[0]
            facts["waiting"] = conn.execute(
                "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')"
            ).fetchone()[0]
            facts["read_only"] = True
        finally:
            conn.close()
    except sqlite3.Error as exc:
        log.warning("the database cannot be read either: %s", exc)


def _check_settings(data_dir: Path, report: DoctorReport) -> None:
    path = data_dir / SETTINGS_FILE
    if not path.exists():
        return
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as exc:
        report.problem(
            "settings_unreadable",
            f"پروندهٔ تنظیمات ({path}) خوانده نمی‌شود ({exc})؛ برنامه با تنظیمات پیش‌فرض کار "
            "می‌کند (نشانی سرور، زبان، چاپگر). آن را درست کنید یا بردارید و دوباره تنظیم کنید.",
            f"The settings file ({path}) does not read ({exc}); the program runs on the "
            "defaults (server address, language, printer). Repair it, or remove it and set "
            "them again.",
        )


def _check_store(store: Any, data_dir: Path, report: DoctorReport) -> None:
    from desktop.db.engine import schema_head
    from desktop.office import this_device
    from desktop.queue import QueueQueries

    facts = report.facts
    integrity = store.integrity_check()
    facts["integrity"] = integrity
    if integrity != "ok":
        report.problem(
            "integrity",
            f"پایگاه داده آسیب دیده است (integrity_check: {integrity}). از نسخهٔ پشتیبان "
            "کمک بگیرید.",
            f"The database is damaged (integrity_check: {integrity}). Restore from a backup.",
        )
    schema = store.check_schema()
    facts["schema"] = schema
    if schema != schema_head():
        report.problem(
            "schema",
            f"ساختار پایگاه داده ({schema}) با این برنامه ({schema_head()}) یکی نیست؛ برنامه "
            "را یک بار باز کنید تا به‌روز شود.",
            f"The database schema ({schema}) is not this program's ({schema_head()}); start "
            "the program once to migrate it.",
        )
        return  # the checks below read tables of this schema
    device = this_device(store)
    db = store.raw_read()
    try:
        clerks, managers = db.execute(
            "SELECT count(*), coalesce(sum(role = 'manager' AND active), 0) FROM clerks"
        ).fetchone()
        catalog_version = db.execute("SELECT max(version) FROM catalog_versions").fetchone()[0]
        devices = db.execute("SELECT count(*) FROM devices").fetchone()[0]
    finally:
        db.close()
    facts.update(
        office=device.office_code if device else None,
        counter=device.counter_no if device else None,
        device=device.id if device else None,
        clerks=clerks,
        active_managers=managers,
        catalog_version=catalog_version,
        enrolled=bool(device and device.enrolled),
    )
    _check_set_up(report, device, devices, clerks, managers, catalog_version)
    if device is not None:
        _check_enrolment(store, data_dir, device, report)
    queries = QueueQueries(store)
    try:
        backlog = queries.backlog()
        counts = queries.counts_by_state()
    finally:
        queries.close()
    facts.update(
        requests=sum(counts.values()),
        by_state=counts,
        waiting=backlog.waiting,
        oldest_waiting_at=backlog.oldest_waiting_at,
        needs_attention=backlog.attention,
    )
    _check_queue(store, report)


def _check_set_up(
    report: DoctorReport,
    device: Any,
    devices: int,
    clerks: int,
    managers: int,
    catalog_version: int | None,
) -> None:
    if device is None and devices:
        report.problem(
            "device_without_office",
            "این رایانه ثبت شده ولی دفتر آن در پایگاه داده نیست.",
            "This PC is recorded but its office is missing from the database.",
        )
    elif device is None:
        report.problem(
            "not_set_up",
            "این رایانه راه‌اندازی نشده است (دفتر و باجه ندارد). آن را با فرمان init یا "
            "پنجرهٔ راه‌اندازی برنامه راه‌اندازی کنید.",
            "This PC is not set up (no office, no counter). Set it up with the init command "
            "or the program's set-up window.",
        )
    if device is not None and not clerks:
        report.problem(
            "no_manager",
            "این رایانه حساب مدیر ندارد (راه‌اندازی نیمه‌کاره مانده است) و کسی نمی‌تواند وارد "
            "شود. init را با همان کد دفتر و شمارهٔ باجه دوباره اجرا کنید یا برنامه را باز "
            "کنید تا حساب مدیر ساخته شود.",
            "This PC has no manager's account (its set-up was left half done): nobody can "
            "log in. Run init again with the same office code and counter, or start the "
            "program, to create the manager's account.",
        )
    elif clerks and not managers:
        report.problem(
            "no_active_manager",
            "هیچ حساب مدیر فعالی نیست: افزودن کارمند، بستن روز و ثبت در سرور ممکن نیست.",
            "No active manager's account: nobody can add clerks, close the day or enrol.",
        )
    if clerks and device is None:
        report.problem(
            "accounts_without_device",
            "حساب کاربری هست ولی این رایانه ثبت نشده است؛ درخواستی ذخیره نمی‌شود.",
            "There are accounts but this PC is not recorded: no request can be saved.",
        )
    if device is not None and catalog_version is None:
        report.problem(
            "no_catalog",
            "فهرست خدمات نیست و فرم درخواست خالی می‌ماند. با import-catalog یا همگام‌سازی "
            "آن را بگیرید.",
            "There is no service catalogue: the request form stays empty. Import one "
            "(import-catalog) or sync.",
        )


def _check_enrolment(store: Any, data_dir: Path, device: Any, report: DoctorReport) -> None:
    from desktop.outbox import StoreQueue
    from sync.credentials import credential_store

    server_url = str(Settings(data_dir).get("server_url")) or device.server_url or ""
    token = credential_store(data_dir, device.id).get()
    if device.enrolled and not server_url:
        report.problem(
            "enrolled_without_server",
            "این رایانه ثبت‌شده است ولی نشانی سرور مرکزی را ندارد؛ همگام‌سازی نمی‌شود. دوباره "
            "با کد تازه ثبت کنید (enrol).",
            "This PC is enrolled but has no server address: it cannot sync. Enrol again "
            "with a new code (enrol).",
        )
    if device.enrolled and not token:
        report.problem(
            "enrolled_without_token",
            "این رایانه ثبت‌شده است ولی کلید دستگاه آن پیدا نشد (پوشهٔ داده کپی شده یا انبار "
            "گذرواژه‌ها پاک شده است)؛ همگام‌سازی نمی‌شود. با کد تازه دوباره ثبت کنید.",
            "This PC is enrolled but its device token is missing (a copied data folder, a "
            "wiped credential store): it cannot sync. Enrol again with a new code.",
        )
    if token and not device.enrolled:
        report.problem(
            "enrolment_interrupted",
            "این رایانه کلید دستگاه دارد ولی ثبت آن کامل نشده است (ثبت نیمه‌کاره قطع شده). "
            "با کد تازه دوباره ثبت کنید.",
            "This PC holds a device token but its enrolment was not completed (it was "
            "interrupted). Enrol again with a new code.",
        )
    if StoreQueue(store).load_state().needs_reenrolment:
        report.problem(
            "needs_reenrolment",
            "سرور مرکزی کلید این رایانه را نمی‌پذیرد؛ درخواست‌ها در صف می‌مانند و از دست "
            "نمی‌روند. از دفتر مرکزی کد تازه بگیرید و دوباره ثبت کنید.",
            "The central server no longer accepts this PC's token; requests stay queued "
            "and are not lost. Ask the central office for a new code and enrol again.",
        )


def _check_queue(store: Any, report: DoctorReport) -> None:
    db = store.raw_read()
    try:
        no_outbox = db.execute(
            "SELECT count(*) FROM requests r LEFT JOIN outbox o ON o.request_id = r.id"
            " WHERE o.request_id IS NULL"
        ).fetchone()[0]
        seq_min, seq_max, seq_count = db.execute(
            "SELECT min(seq), max(seq), count(*) FROM requests"
        ).fetchone()
        next_seq = db.execute("SELECT next_seq FROM devices").fetchone()
    finally:
        db.close()
    if no_outbox:
        report.problem(
            "outbox_missing",
            f"{no_outbox} درخواست در صف ارسال نیست و به مرکز نمی‌رسد.",
            f"{no_outbox} request(s) without an outbox entry: they never reach the centre.",
        )
    if seq_count and (seq_min != 1 or seq_max != seq_count):
        report.problem(
            "sequence_gaps",
            f"شماره‌گذاری درخواست‌ها فاصله دارد: {seq_count} درخواست با شمارهٔ "
            f"{seq_min} تا {seq_max}.",
            f"The sequence has gaps: {seq_count} requests numbered {seq_min}..{seq_max}.",
        )
    if next_seq is not None and seq_count and next_seq[0] != seq_max + 1:
        report.problem(
            "sequence_counter",
            f"شمارندهٔ این رایانه ({next_seq[0]}) پس از آخرین شماره ({seq_max}) نیست.",
            f"The device counter {next_seq[0]} does not follow the last number {seq_max}.",
        )


def report_json(report: DoctorReport) -> str:
    def default(value: object) -> str:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return str(value)

    return json.dumps(report.to_json(), ensure_ascii=False, indent=1, default=default)


def cmd_doctor(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    lang = language(args, Settings(data_dir))
    report = examine(data_dir)
    if args.json:
        print(report_json(report))
    else:
        print("\n".join(report.lines(lang)))
    return EXIT_OK if not report.problems else EXIT_FAILED


__all__ = ["DoctorReport", "Finding", "cmd_doctor", "examine", "report_json"]
