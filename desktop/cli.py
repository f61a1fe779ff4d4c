"""The headless command line for administrators and scripts.

Same rules as the form: ``add-request`` validates exactly like the counter
(one code path, ``Intake``), prints every reason and exits non-zero on bad
input. Messages follow ``--lang`` (Persian by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop import __version__
from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.config import Settings, resolve_data_dir
from desktop.db.engine import Store, schema_head
from desktop.intake import Intake, RequestDraft
from desktop.office import initialise, this_device
from desktop.queue import QueueFilter, QueueQueries
from rules.catalog import ValidationFailed
from rules.errors import UserFacingError
from rules.messages import Message
from rules.validation import FieldError, parse_jalali_date

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2

Handler = Callable[[argparse.Namespace], int]


def add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the sub-command, the top-level value must survive.
    parser.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="data folder (default: PISHKHAN_DATA_DIR or per-user)",
    )
    parser.add_argument(
        "--lang", choices=("fa", "en"), default=argparse.SUPPRESS, help="language of messages"
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", help="set up this PC: office, counter, manager account")
    add_common(p)
    p.add_argument("--office-code", required=True)
    p.add_argument("--office-name", required=True)
    p.add_argument("--counter", required=True)
    p.add_argument("--manager", required=True, help="manager's user name")
    p.add_argument("--manager-name", required=True, help="manager's display name")
    p.add_argument(
        "--password-env",
        default="PISHKHAN_PASSWORD",
        help="environment variable holding the manager's password (else prompted)",
    )
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("import-catalog", help="import a service catalogue file (JSON)")
    add_common(p)
    p.add_argument("file")
    p.set_defaults(handler=cmd_import_catalog)

    p = sub.add_parser("add-request", help="add a request from JSON (file or - for stdin)")
    add_common(p)
    p.add_argument("file")
    p.add_argument("--clerk", required=True, help="user name of the clerk recording it")
    p.set_defaults(handler=cmd_add_request)

    p = sub.add_parser("list", help="list requests")
    add_common(p)
    p.add_argument("--state", action="append", default=[])
    p.add_argument("--search", default="")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("export-day", help="export a day's requests and money as CSV")
    add_common(p)
    p.add_argument("--date", required=True, help="Jalali date, e.g. 1405/09/07")
    p.add_argument("--clerk", help="only this clerk's work")
    p.add_argument("--out", required=True)
    p.set_defaults(handler=cmd_export_day)

    p = sub.add_parser("doctor", help="check the database and report the queue")
    add_common(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_doctor)


class Context:
    """What a command needs, opened from the data folder."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.data_dir = resolve_data_dir(getattr(args, "data_dir", None))
        self.settings = Settings(self.data_dir)
        self.lang: str = getattr(args, "lang", None) or str(self.settings.get("language"))
        self.store = Store.open(self.data_dir)
        self.catalogs = CatalogStore(self.store)

    def say(self, message: Message) -> str:
        return message.text(self.lang)

    def close(self) -> None:
        self.store.close()


def run_command(args: argparse.Namespace) -> int:
    handler: Handler = args.handler
    try:
        return handler(args)
    except UserFacingError as exc:
        lang = getattr(args, "lang", None) or "fa"
        print(exc.message.text(lang), file=sys.stderr)
        return EXIT_FAILED


def _with_context(fn: Callable[[Context, argparse.Namespace], int]) -> Handler:
    def handler(args: argparse.Namespace) -> int:
        ctx = Context(args)
        try:
            return fn(ctx, args)
        finally:
            ctx.close()

    return handler


@_with_context
def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    password = os.environ.get(args.password_env) or getpass.getpass("Password: ")
    device = initialise(
        ctx.store,
        office_code=args.office_code,
        office_name=args.office_name,
        counter_no=args.counter,
    )
    ctx.catalogs.ensure_seeded()
    ClerkDirectory(ctx.store).create_manager(args.manager, args.manager_name, password)
    print(
        json.dumps(
            {
                "device_id": device.id,
                "office_code": device.office_code,
                "counter_no": device.counter_no,
                "data_dir": str(ctx.data_dir),
            },
            ensure_ascii=False,
        )
    )
    return EXIT_OK


@_with_context
def cmd_import_catalog(ctx: Context, args: argparse.Namespace) -> int:
    catalog = ctx.catalogs.import_file(args.file)
    print(f"catalog version {catalog.version}: {len(catalog.services)} services")
    return EXIT_OK


def _clerk(ctx: Context, username: str) -> ClerkInfo:
    for clerk in ClerkDirectory(ctx.store).list():
        if clerk.username == username.strip().lower() and clerk.active:
            return clerk
    raise UserFacingError(
        Message(
            fa=f"کاربر فعالی با نام «{username}» نیست.", en=f"No active user named '{username}'."
        )
    )


@_with_context
def cmd_add_request(ctx: Context, args: argparse.Namespace) -> int:
    raw = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        print(
            ctx.say(Message(fa=f"JSON نامعتبر است: {exc}", en=f"Invalid JSON: {exc}")),
            file=sys.stderr,
        )
        return EXIT_INVALID
    if not isinstance(doc, dict) or not isinstance(doc.get("service"), str):
        print(
            ctx.say(Message(fa="کلید «service» لازم است.", en='The key "service" is required.')),
            file=sys.stderr,
        )
        return EXIT_INVALID
    draft = RequestDraft(
        service_code=doc["service"],
        applicant={k: str(v) for k, v in dict(doc.get("applicant") or {}).items()},
        answers={k: str(v) for k, v in dict(doc.get("answers") or {}).items()},
        documents=[str(d) for d in doc.get("documents") or []],
        card_ref=str(doc.get("card_ref") or ""),
    )
    clerk = _clerk(ctx, args.clerk)
    try:
        saved = Intake(ctx.store, ctx.catalogs).save(clerk, draft)
    except ValidationFailed as exc:
        for key, message in exc.errors.items():
            print(f"{key}: {ctx.say(message)}", file=sys.stderr)
        return EXIT_INVALID
    print(
        json.dumps(
            {
                "id": saved.id,
                "reference": saved.reference,
                "seq": saved.seq,
                "total_fee": saved.fees.total,
            },
            ensure_ascii=False,
        )
    )
    return EXIT_OK


@_with_context
def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    queries = QueueQueries(ctx.store)
    try:
        ids = queries.ids(QueueFilter(states=frozenset(args.state), text=args.search))
        rows = queries.rows(list(ids[: args.limit]))
        ordered = [rows[i] for i in ids[: args.limit]]
    finally:
        queries.close()
    if args.json:
        print(json.dumps([_row_json(r) for r in ordered], ensure_ascii=False, indent=1))
    else:
        for r in ordered:
            print(
                f"{r.reference}\t{r.state}\t{r.service_code}\t{r.tracking_code or '-'}\t"
                f"{r.created_at:%Y-%m-%d %H:%M}Z"
            )
        print(f"({len(ids)} matching)")
    return EXIT_OK


def _row_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "reference": r.reference,
        "service": r.service_code,
        "state": r.state,
        "tracking_code": r.tracking_code,
        "total_fee": r.total_fee,
        "created_at": r.created_at.isoformat(),
        "clerk": r.clerk_username,
    }


@_with_context
def cmd_export_day(ctx: Context, args: argparse.Namespace) -> int:
    from desktop.dayclose import day_summary, export_csv

    try:
        day, _ = parse_jalali_date(args.date)
    except FieldError as exc:
        print(ctx.say(exc.message), file=sys.stderr)
        return EXIT_INVALID
    clerk_id = _clerk(ctx, args.clerk).id if args.clerk else None
    summary = day_summary(ctx.store, day, clerk_id)
    export_csv(summary, Path(args.out), ctx.lang)
    print(args.out)
    return EXIT_OK


@_with_context
def cmd_doctor(ctx: Context, args: argparse.Namespace) -> int:
    report = doctor_report(ctx.store, ctx.data_dir)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    else:
        for key, value in report.items():
            print(f"{key}: {value}")
    return EXIT_OK if not report["problems"] else EXIT_FAILED


def doctor_report(store: Store, data_dir: Path) -> dict[str, Any]:
    """Integrity, schema, queue counts and the invariants the promises rest on."""
    problems: list[str] = []
    integrity = store.integrity_check()
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    schema = store.check_schema()
    if schema != schema_head():
        problems.append(f"schema {schema} is not the program's {schema_head()}")
    queries = QueueQueries(store)
    try:
        backlog = queries.backlog()
        counts = queries.counts_by_state()
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
    finally:
        queries.close()
    if no_outbox:
        problems.append(f"{no_outbox} request(s) without an outbox entry")
    if seq_count and (seq_min != 1 or seq_max != seq_count):
        problems.append(f"sequence has gaps: {seq_count} requests numbered {seq_min}..{seq_max}")
    if next_seq is not None and seq_count and next_seq[0] != seq_max + 1:
        problems.append(f"device counter {next_seq[0]} does not follow the last number {seq_max}")
    device = this_device(store)
    free = shutil.disk_usage(data_dir).free
    return {
        "version": __version__,
        "data_dir": str(data_dir),
        "database": str(store.path),
        "schema": schema,
        "integrity": integrity,
        "device": device.id if device else None,
        "office": device.office_code if device else None,
        "enrolled": bool(device and device.enrolled),
        "requests": sum(counts.values()),
        "by_state": counts,
        "waiting": backlog.waiting,
        "oldest_waiting_at": backlog.oldest_waiting_at,
        "needs_attention": backlog.attention,
        "free_disk_mb": free // 1_000_000,
        "checked_at": dt.datetime.now(dt.UTC).isoformat(),
        "problems": problems,
    }
