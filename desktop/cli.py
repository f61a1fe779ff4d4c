"""The headless command line for administrators and scripts: its shape and its rules.

Every sub-command is declared in ``desktop.cliparser``, its handler named by
``"module:function"`` and imported only when that command runs (``handler_for``):
parsing and ``--help`` import no database or network library, and ``add-request`` never
imports the sync's. This module holds what every command shares: the context opened
from the data folder, the input file reader, times for people, and ``run_command``.

Rules every command follows (``run_command``):

- messages in ``--lang`` (else the language setting, else Persian), in words, never a
  traceback; times for people in the office's time zone on the Jalali calendar
  (Persian digits in Persian); ``--json`` output stays machine-readable (ISO UTC);
- only ``init`` creates a store: any other command on a folder without one says where it
  looked and exits 2, so a mistyped ``--data-dir`` never starts a new empty database;
- the exit codes below (``desktop.cliparser.EXIT_CODES_HELP`` prints them in ``--help``).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sqlite3
import sys
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


class InputError(UserFacingError):
    """Bad input at the command line (exit 2): an option, a file, a data folder."""


NO_STORE = Message(
    fa="در پوشهٔ {dir} دادهٔ پیشخوان نیست (پروندهٔ {file} پیدا نشد). اگر پوشه را درست "
    "نوشته‌اید، این رایانه را با فرمان init راه‌اندازی کنید.",
    en="No Pishkhan data in {dir} ({file} not found). Check --data-dir, or set this PC up "
    "with the init command.",
)


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

        self.store: Store = Store.open(self.data_dir, key=store_key(args, self.data_dir))
        self.catalogs: CatalogStore = CatalogStore(self.store)

    def say(self, message: Message) -> str:
        return message.text(self.lang)

    def when(self, moment: dt.datetime | None) -> str:
        return when(moment, self.lang)

    def close(self) -> None:
        self.store.close()


NO_USER = Message(
    fa="پایگاه داده رمزگذاری شده است: کاربری را که گذرواژه‌اش آن را باز می‌کند با --user "
    "(یا PISHKHAN_USER) بگویید، یا با --recovery-key کلید بازیابی را بدهید.",
    en="The database is encrypted: name the user whose password opens it with --user (or "
    "PISHKHAN_USER), or give the recovery key with --recovery-key.",
)


def store_key(args: argparse.Namespace, data_dir: Path) -> bytes | None:
    """The data key of an encrypted store in ``data_dir`` (None for a plain one).

    A clerk's password (``--user`` or ``PISHKHAN_USER`` or the command's ``--clerk``;
    ``PISHKHAN_PASSWORD``, else asked for on a terminal), or the recovery key
    (``--recovery-key``: ``PISHKHAN_RECOVERY_KEY``, else asked for). A scheduled run
    has no one to ask: it is given a clerk's password in its environment.
    """
    from desktop import keyslots

    if not keyslots.is_encrypted(data_dir):
        return None
    from desktop.keyslots_setup import data_key_for

    if getattr(args, "recovery_key", False):
        text = secret_input(
            "PISHKHAN_RECOVERY_KEY", "Recovery key / کلید بازیابی: ", NO_SECRET_RECOVERY
        )
        return data_key_for(data_dir, recovery_key=text)
    user = (
        getattr(args, "user", None)
        or os.environ.get("PISHKHAN_USER")
        or getattr(args, "clerk", None)
    )
    if not user:
        raise InputError(NO_USER)
    from desktop.clerks import normalize_username

    slots = keyslots.load(data_dir)
    if normalize_username(str(user)) in slots.left_without_slot():
        # A weak old hash made no slot: what to do (the same exit code as before).
        raise InputError(keyslots.NoSlot().message)
    if slots.clerk_slot(normalize_username(str(user))) is None:
        # The key file names its clerks in clear: saying so tells nothing it does not.
        raise InputError(
            Message(
                fa=f"«{user}» نمی‌تواند پایگاه دادهٔ رمزگذاری‌شده را باز کند (کاربر این "
                "رایانه نیست، غیرفعال است، یا هنوز کلید ندارد: مدیر دفتر گذرواژه‌اش را از نو "
                "بگذارد).",
                en=f"'{user}' cannot open the encrypted database (not a user of this PC, "
                "disabled, or without a key yet: the office manager must set their password "
                "again).",
            )
        )
    password = secret_input("PISHKHAN_PASSWORD", "Password / گذرواژه: ", NO_SECRET_PASSWORD)
    return data_key_for(data_dir, username=str(user), password=password)


NO_SECRET_PASSWORD = Message(
    fa="گذرواژه داده نشده است: آن را در PISHKHAN_PASSWORD بگذارید یا فرمان را در یک پایانه "
    "اجرا کنید تا پرسیده شود.",
    en="No password given: put it in PISHKHAN_PASSWORD, or run the command on a terminal "
    "to be asked for it.",
)
NO_SECRET_RECOVERY = Message(
    fa="کلید بازیابی داده نشده است: آن را در PISHKHAN_RECOVERY_KEY بگذارید یا فرمان را در "
    "یک پایانه اجرا کنید تا پرسیده شود.",
    en="No recovery key given: put it in PISHKHAN_RECOVERY_KEY, or run the command on a "
    "terminal to be asked for it.",
)


def secret_input(variable: str, prompt: str, missing: Message) -> str:
    """A secret from the environment, else typed on the terminal (never echoed)."""
    value = os.environ.get(variable)
    if value:
        return value
    if not sys.stdin.isatty():
        raise InputError(missing)
    import getpass

    return getpass.getpass(prompt)


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
    except _environment_errors() as exc:  # the environment: a full disk, a locked file
        mapped = _environment_error(args, exc)
        if isinstance(mapped, UserFacingError):
            print(mapped.message.text(lang), file=sys.stderr)
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
        mapped = _environment_error(args, exc)  # SQLAlchemy's wrapping of a disk's failure
        if isinstance(mapped, UserFacingError):
            print(mapped.message.text(lang), file=sys.stderr)
            return EXIT_FAILED
        return _bug(args, exc, lang)


def _environment_errors() -> tuple[type[Exception], ...]:
    """sqlite3's errors, SQLCipher's too if it was loaded (an encrypted store), and the OS's:
    evaluated only when something failed, so the command line never loads SQLCipher for it."""
    driver = sys.modules.get("desktop.db.driver")
    cipher: tuple[type[Exception], ...] = () if driver is None else tuple(driver.DB_ERRORS)
    return (sqlite3.Error, OSError, *cipher)


def _environment_error(args: argparse.Namespace, exc: BaseException) -> BaseException:
    """SQLite's environment errors as the store's user-facing ones, judged by result code
    (``translate_db_error``); only ``add-request`` writes, the others fail opening."""
    from desktop.config import resolve_data_dir
    from desktop.db.engine import translate_db_error
    from desktop.db.peek import DB_FILENAME

    database = resolve_data_dir(getattr(args, "data_dir", None)) / DB_FILENAME
    opening = getattr(args, "command_name", "") != "add-request"
    return translate_db_error(exc, path=database, opening=opening)


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


def start_logging(args: argparse.Namespace, *, create: bool = False) -> None:
    """Log into the data folder's ``logs/`` if the folder holds a store: never into a
    mistyped folder (which a log file would create); ``init`` (``create``) starts it once
    its values are checked, before the store is made (the migration is logged)."""
    from desktop.config import resolve_data_dir
    from desktop.db.peek import DB_FILENAME
    from desktop.logs import setup_logging

    data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    if create or (data_dir / DB_FILENAME).is_file():
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
