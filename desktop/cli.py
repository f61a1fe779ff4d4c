"""The headless command line for administrators and scripts: its shape and its rules.

Every sub-command is declared here (the parser), and its handler is named by
``"module:function"`` and imported only when that command runs: parsing and ``--help``
import no database or network library, and ``add-request`` never imports the sync's.

Rules every command follows (``run_command``):

- messages in ``--lang`` (else the language setting, else Persian), in words, never a
  traceback; times for people in the office's time zone on the Jalali calendar
  (Persian digits in Persian); ``--json`` output stays machine-readable (ISO UTC);
- only ``init`` creates a store: any other command on a folder without one says where it
  looked and exits 2, so a mistyped ``--data-dir`` never starts a new empty database;
- the exit codes in ``EXIT_CODES_HELP``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sqlite3
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rules.errors import Cancelled, UserFacingError
from rules.messages import Message

if TYPE_CHECKING:
    import datetime as dt

    from desktop.catalog_store import CatalogStore
    from desktop.config import Settings
    from desktop.db.engine import Store

log = logging.getLogger("pishkhan.cli")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_BUSY = 3
EXIT_BUG = 70  # sysexits' EX_SOFTWARE

EXIT_CODES_HELP = """\
exit codes:
  0   done
  1   not done: a problem found (doctor), refused (an account, a full disk, a server's
      answer), or requests left waiting (sync)
  2   bad input: an option, a file (missing, not UTF-8, not JSON, wrong shape), a
      request's values (every reason is printed), a data folder with no Pishkhan data,
      a PC not set up or not enrolled (sync, status)
  3   another sync holds this data folder (sync)
  70  a bug: the details are in the log file named on stderr
"""


class InputError(UserFacingError):
    """Bad input at the command line (exit 2): an option, a file, a data folder."""


NO_STORE = Message(
    fa="در پوشهٔ {dir} دادهٔ پیشخوان نیست (پروندهٔ {file} پیدا نشد). اگر پوشه را درست "
    "نوشته‌اید، این رایانه را با فرمان init راه‌اندازی کنید.",
    en="No Pishkhan data in {dir} ({file} not found). Check --data-dir, or set this PC up "
    "with the init command.",
)


def add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the sub-command, the top-level value must survive.
    parser.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="data folder (default: PISHKHAN_DATA_DIR or per-user)",
    )
    parser.add_argument(
        "--lang",
        choices=("fa", "en"),
        default=argparse.SUPPRESS,
        help="language of messages and times (default: the language setting, else fa)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: str,
    help_: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    p = sub.add_parser(
        name,
        help=help_,
        description=textwrap.fill(description or help_, 88),
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    p.set_defaults(handler=handler, command_name=name)
    return p


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands = "desktop.clicommands"
    p = _parser(
        sub,
        "init",
        f"{commands}:cmd_init",
        "set up this PC: office, counter, manager account",
        "Set this PC up: the office it serves, its counter number and the office manager's "
        "account, all at once (nothing is written if any value is refused). The manager "
        "then adds the clerks in the program. The password comes from the environment "
        "variable named by --password-env (default PISHKHAN_PASSWORD), else it is asked "
        "for on the terminal.",
    )
    p.add_argument(
        "--office-code", required=True, help="the office's code from the central office (digits)"
    )
    p.add_argument("--office-name", required=True, help="the office's name, as on receipts")
    p.add_argument(
        "--counter", required=True, help="this PC's counter (باجه) number in the office, 1-99"
    )
    p.add_argument("--manager", required=True, help="manager's user name (letters, digits, .-_)")
    p.add_argument("--manager-name", required=True, help="manager's full name")
    p.add_argument("--device-name", default="", help="a name for this PC (optional)")
    p.add_argument(
        "--password-env",
        default="PISHKHAN_PASSWORD",
        help="environment variable holding the manager's password, at least 8 characters "
        "(else asked for on the terminal)",
    )

    p = _parser(
        sub, "import-catalog", f"{commands}:cmd_import_catalog", "import a service catalogue file"
    )
    p.add_argument("file", help="a catalogue document (UTF-8 JSON)")

    p = _parser(
        sub,
        "add-request",
        f"{commands}:cmd_add_request",
        "add a request from JSON (file or - for stdin)",
        "Add a request, checked exactly like the counter's form. The JSON object has "
        '"service" (a service code), "applicant" and "answers" (objects of texts), '
        '"documents" (a list of document keys the clerk saw) and "card_ref" (the card '
        "terminal's reference). On bad input every reason is printed, one per line, and "
        "nothing is saved.",
    )
    p.add_argument("file", help="the request as UTF-8 JSON, or - for stdin")
    p.add_argument("--clerk", required=True, help="user name of the clerk recording it")

    from desktop.states import State

    p = _parser(sub, "list", f"{commands}:cmd_list", "list requests, newest first")
    p.add_argument(
        "--state", action="append", default=[], choices=[s.value for s in State], help="repeat"
    )
    p.add_argument("--search", default="", help="national code, reference, mobile, name...")
    p.add_argument("--limit", type=_positive, default=50)
    p.add_argument("--json", action="store_true", help="JSON (times in ISO 8601 UTC)")

    p = _parser(
        sub, "export-day", f"{commands}:cmd_export_day", "export a day's requests and money as CSV"
    )
    p.add_argument("--date", required=True, help="Jalali date, e.g. 1405/09/07")
    p.add_argument("--clerk", help="only this clerk's work")
    p.add_argument("--out", required=True, help="the CSV file to write")

    p = _parser(
        sub,
        "doctor",
        "desktop.doctor:cmd_doctor",
        "check the database, the set-up and the queue",
        "Check this PC: the database (integrity, schema), the set-up (office, this PC, an "
        "active manager, a catalogue, enrolment and its token), the queue's invariants and "
        "the free disk space. Exit 1 if a problem is found; each is named with what to do.",
    )
    p.add_argument("--json", action="store_true", help="JSON (times in ISO 8601 UTC)")

    sync = "desktop.synccli"
    p = _parser(
        sub, "enrol", f"{sync}:cmd_enrol", "enrol this PC with the central server (one-time code)"
    )
    p.add_argument("--server", required=True, help="central server address, https://...")
    p.add_argument("--code", required=True, help="one-time enrolment code")
    p.add_argument("--ca-bundle", help="CA bundle file for the server's TLS certificate")
    p.add_argument("--device-name", help="name of this PC shown to the central office")
    p.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="accept an http:// server that is not this PC (the token crosses in clear)",
    )

    p = _parser(sub, "sync", f"{sync}:cmd_sync", "send waiting requests and fetch changes")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one round (the default)")
    mode.add_argument("--loop", action="store_true", help="rounds until stopped")
    p.add_argument(
        "--until-empty",
        action="store_true",
        help="with --loop: exit 0 after a clean round leaves nothing waiting",
    )
    p.add_argument("--max-seconds", type=_seconds, help="with --loop: give up after this long")
    p.add_argument(
        "--interval",
        type=_seconds,
        help="with --loop: seconds between rounds (default: the setting)",
    )
    p.add_argument("--max-backoff", type=_seconds, help="cap of the backoff in seconds (tests)")
    p.add_argument(
        "--read-timeout",
        type=_seconds,
        help="seconds to wait for an answer before the payload allowance (tests)",
    )
    p.add_argument("--events", action="store_true", help="print engine events as JSON lines")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = _parser(
        sub, "status", f"{sync}:cmd_status", "what waits to be sent, last contact, next try"
    )
    p.add_argument("--json", action="store_true", help="JSON (times in ISO 8601 UTC)")


def language(args: argparse.Namespace, settings: Settings | None = None) -> str:
    lang = getattr(args, "lang", None)
    if lang in ("fa", "en"):
        return str(lang)
    if settings is not None and settings.get("language") in ("fa", "en"):
        return str(settings.get("language"))
    return "fa"


class Context:
    """What a command needs, opened from the data folder (``create``: ``init`` only)."""

    def __init__(self, args: argparse.Namespace, *, create: bool = False) -> None:
        from desktop.config import Settings, resolve_data_dir
        from desktop.db.peek import DB_FILENAME

        self.data_dir = resolve_data_dir(getattr(args, "data_dir", None))
        database = self.data_dir / DB_FILENAME
        if not create and not database.is_file():
            raise InputError(
                NO_STORE.format(
                    dir=Message(str(self.data_dir), str(self.data_dir)),
                    file=Message(DB_FILENAME, DB_FILENAME),
                )
            )
        self.settings = Settings(self.data_dir)
        self.lang: str = language(args, self.settings)
        from desktop.catalog_store import CatalogStore
        from desktop.db.engine import Store

        self.store: Store = Store.open(self.data_dir)
        self.catalogs: CatalogStore = CatalogStore(self.store)

    def say(self, message: Message) -> str:
        return message.text(self.lang)

    def when(self, moment: dt.datetime | None) -> str:
        return when(moment, self.lang)

    def close(self) -> None:
        self.store.close()


def when(moment: dt.datetime | None, lang: str) -> str:
    """A moment for people: Jalali date and time in the office's zone, "-" for none."""
    if moment is None:
        return "-"
    import jdatetime

    from desktop.clock import to_local
    from rules.normalize import to_persian_digits

    local = to_local(moment)
    j = jdatetime.date.fromgregorian(date=local.date())
    text = f"{j.year:04d}/{j.month:02d}/{j.day:02d} {local:%H:%M}"
    return to_persian_digits(text) if lang == "fa" else text


def handler_for(args: argparse.Namespace) -> Callable[[argparse.Namespace], int]:
    target = args.handler
    if callable(target):
        return target
    module, _, name = str(target).partition(":")
    fn: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), name)
    return fn


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command; every failure becomes a message and an exit code."""
    lang = getattr(args, "lang", None) or _setting_language(args)
    try:
        start_logging(args)
        return handler_for(args)(args)
    except InputError as exc:
        print(exc.message.text(lang), file=sys.stderr)
        return EXIT_INVALID
    except UserFacingError as exc:
        from rules.catalog import ValidationFailed

        if isinstance(exc, ValidationFailed):
            for key, message in exc.errors.items():
                print(f"{key}: {message.text(lang)}", file=sys.stderr)
            return EXIT_INVALID
        print(exc.message.text(lang), file=sys.stderr)
        return EXIT_FAILED
    except (sqlite3.Error, OSError) as exc:  # the environment: a full disk, a locked file
        from desktop.db.engine import translate_db_error

        mapped = translate_db_error(exc)
        if isinstance(mapped, UserFacingError):
            print(_environment_message(args, mapped).text(lang), file=sys.stderr)
            return EXIT_FAILED
        if isinstance(exc, OSError):  # permissions, no space, a path that is a file...
            where = exc.filename or ""
            reason = exc.strerror or type(exc).__name__
            print(
                Message(
                    fa=f"کار با {where} ممکن نشد: {reason}", en=f"Cannot use {where}: {reason}"
                ).text(lang),
                file=sys.stderr,
            )
            return EXIT_FAILED
        return _bug(args, exc, lang)
    except (Cancelled, KeyboardInterrupt):
        print(Message(fa="لغو شد.", en="Cancelled.").text(lang), file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: the trace goes to the log, a sentence to the person
        from desktop.db.engine import translate_db_error

        mapped = translate_db_error(exc)  # SQLAlchemy's wrapping of a full or failing disk
        if isinstance(mapped, UserFacingError):
            print(_environment_message(args, mapped).text(lang), file=sys.stderr)
            return EXIT_FAILED
        return _bug(args, exc, lang)


DISK_FULL = Message(
    fa="دیسک این رایانه پر است و پایگاه داده باز نمی‌شود؛ چیزی تغییر نکرد و چیزی از دست "
    "نرفت. فضای دیسک را آزاد کنید و دوباره تلاش کنید.",
    en="The disk of this PC is full and the database does not open; nothing was changed "
    "and nothing is lost. Free some disk space and try again.",
)


def _environment_message(args: argparse.Namespace, error: UserFacingError) -> Message:
    from desktop.errors import DiskFullError

    # The store's own words speak of a request not saved: only add-request saves one.
    if isinstance(error, DiskFullError) and getattr(args, "command_name", "") != "add-request":
        return DISK_FULL
    return error.message


def _bug(args: argparse.Namespace, exc: BaseException, lang: str) -> int:
    log.error("command %s failed", getattr(args, "command_name", "?"), exc_info=exc)
    where = _log_file()
    print(
        Message(
            fa=f"خطای پیش‌بینی‌نشده در برنامه ({type(exc).__name__})؛ جزئیات در {where}",
            en=f"Unexpected error in the program ({type(exc).__name__}); details in {where}",
        ).text(lang),
        file=sys.stderr,
    )
    return EXIT_BUG


def start_logging(args: argparse.Namespace) -> None:
    """Log into the data folder's ``logs/`` if the folder holds a store: never into a
    mistyped folder (which a log file would create); ``init`` starts it once the store
    exists."""
    from desktop.config import resolve_data_dir
    from desktop.db.peek import DB_FILENAME
    from desktop.logs import setup_logging

    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    if (data_dir / DB_FILENAME).is_file():
        # A log that cannot be written (a full disk) must not print its own traceback
        # over the command's message.
        logging.raiseExceptions = False
        setup_logging(data_dir)


def _setting_language(args: argparse.Namespace) -> str:
    from desktop.config import Settings, resolve_data_dir

    try:
        return language(args, Settings(resolve_data_dir(getattr(args, "data_dir", None))))
    except OSError:
        return "fa"


def _log_file() -> str:
    for handler in logging.getLogger("pishkhan").handlers:
        name = getattr(handler, "baseFilename", None)
        if name:
            return str(name)
    return "the log"


def read_input(path: str, lang: str) -> str:
    """A UTF-8 text file, or stdin for "-"; InputError (exit 2) with the reason otherwise."""
    name = "stdin" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(
            Message(fa=f"پرونده پیدا نشد: {name}", en=f"No such file: {name}")
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            Message(fa=f"پرونده خوانده نشد: {name} ({reason})", en=f"Cannot read {name}: {reason}")
        ) from None
    try:
        return data.decode("utf-8-sig")  # Notepad's BOM is not part of the JSON
    except UnicodeDecodeError as exc:
        raise InputError(
            Message(
                fa=f"{name} با UTF-8 نوشته نشده است (بایت {exc.start}). آن را با کدگذاری UTF-8 "
                "ذخیره کنید.",
                en=f"{name} is not UTF-8 (byte {exc.start}). Save it with the UTF-8 encoding.",
            )
        ) from None
