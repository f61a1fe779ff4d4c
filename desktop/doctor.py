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
- the encryption's key file: missing, damaged, an encryption left unfinished, no recovery
  key, or a recovery key never shown to anyone (a power cut before it was: the manager's
  next login shows a new one); the clerks with no login since the encryption (their
  password-hash slot is weaker than an ordinary one until then) and those it left
  without a slot, from the key file's names and slot kinds alone (no password needed).

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
from desktop import doctor_checks as checks
from desktop.cli import EXIT_FAILED, EXIT_OK, NO_STORE, InputError, language, when
from desktop.clock import Clock, utc_now
from desktop.config import Settings, resolve_data_dir
from desktop.db.peek import DB_FILENAME
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
            if isinstance(v, list):  # user names
                return ("، " if lang == "fa" else ", ").join(map(str, v)) or "-"
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
    "awaiting_first_login": Message(
        "کاربران بی‌ورود از زمان رمزگذاری", "users not logged in since the encryption"
    ),
    "without_key": Message("کاربران بی‌کلید", "users without a key"),
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
    "awaiting_first_login",
    "without_key",
    "waiting",
    "oldest_waiting_at",
    "needs_attention",
    "requests",
)


def _t(key: str, lang: str) -> str:
    return _LABELS[key].text(lang)


def examine(
    data_dir: Path, *, clock: Clock = utc_now, key: bytes | None = None, locked_reason: str = ""
) -> DoctorReport:
    """Look at ``data_dir`` (read only) and report its state and problems.

    ``key`` opens an encrypted store (``desktop.cli.store_key``); without it the key file
    is still checked and the database is reported as not examined (``locked_reason``).
    """
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
                "دیسک این رایانه پر است: درخواستی ذخیره نمی‌شود. فضای دیسک را آزاد کنید؛ چیزی "
                "از دست نرفته است.",
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
    checks.check_settings(data_dir, report)
    if not database.is_file():
        raise InputError(
            NO_STORE.format(
                dir=Message(str(data_dir), str(data_dir)), file=Message(DB_FILENAME, DB_FILENAME)
            )
        )
    if not checks.check_key_file(data_dir, database, report):
        return report  # the key file is what is wrong: nothing more can be read
    if key is None and report.facts.get("encrypted"):
        report.problem(
            "database_locked",
            "پایگاه داده رمزگذاری شده و بدون گذرواژه بررسی نشد: --user و PISHKHAN_PASSWORD "
            f"(یا --recovery-key) را بدهید. {locked_reason}".strip(),
            "The database is encrypted and was not checked without a password: give --user "
            f"and PISHKHAN_PASSWORD (or --recovery-key). {locked_reason}".strip(),
        )
        return report
    from sqlalchemy.exc import DBAPIError

    from desktop.db.engine import Store, translate_db_error

    store_errors: tuple[type[Exception], ...] = (
        UserFacingError,
        sqlite3.Error,
        DBAPIError,
        *checks.cipher_errors(),
    )
    opening_errors: tuple[type[Exception], ...] = (*store_errors, OSError)
    try:
        store = Store.open(data_dir, migrate=False, key=key)
        store.integrity_check()  # the first connection: WAL set-up needs the disk
    except opening_errors as exc:
        mapped = (
            exc
            if isinstance(exc, UserFacingError)
            else translate_db_error(exc, path=database, opening=True)
        )
        if isinstance(mapped, UserFacingError):
            fa, en = mapped.message.fa, mapped.message.en
        else:
            fa = en = str(getattr(exc, "orig", exc))
        report.problem(
            "database_unopenable",
            f"پایگاه داده باز نشد: {fa}",
            f"The database does not open: {en}",
        )
        checks.read_only_facts(database, report, key)
        return report
    try:
        _check_store(store, data_dir, report)
    except store_errors as exc:
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
    if managers and not store.encrypted:
        # A PC set up by an older program: citizens' data readable by whoever has the disk.
        report.problem(
            "not_encrypted",
            "پایگاه داده هنوز رمزگذاری نشده است: مدیر دفتر یک بار در برنامه وارد شود تا "
            "رمزگذاری شود (و کلید بازیابی را روی کاغذ نگه دارد).",
            "The database is not encrypted yet: the office manager should log in to the "
            "program once to encrypt it (and keep the recovery key on paper).",
        )
    facts.update(
        office=device.office_code if device else None,
        counter=device.counter_no if device else None,
        device=device.id if device else None,
        clerks=clerks,
        active_managers=managers,
        catalog_version=catalog_version,
        enrolled=bool(device and device.enrolled),
    )
    checks.check_set_up(report, device, devices, clerks, managers, catalog_version)
    if device is not None:
        checks.check_enrolment(store, data_dir, device, report)
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
    checks.check_queue(store, report)


def report_json(report: DoctorReport) -> str:
    def default(value: object) -> str:
        if isinstance(value, dt.datetime):
            return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return str(value)

    return json.dumps(report.to_json(), ensure_ascii=False, indent=1, default=default)


def cmd_doctor(args: argparse.Namespace) -> int:
    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    lang = language(args, Settings(data_dir))
    from desktop.cli import store_key

    key, reason = None, ""
    try:
        key = store_key(args, data_dir)
    except UserFacingError as exc:  # no password given, a wrong one, a damaged key file
        reason = exc.message.text(lang)
    report = examine(data_dir, key=key, locked_reason=reason)
    if args.json:
        print(report_json(report))
    else:
        print("\n".join(report.lines(lang)))
    return EXIT_OK if not report.problems else EXIT_FAILED


__all__ = ["DoctorReport", "Finding", "cmd_doctor", "examine", "report_json"]
