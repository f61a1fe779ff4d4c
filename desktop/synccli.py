"""Sync on the command line: ``enrol``, ``sync``, ``status``; and the engine's assembly.

The sub-commands are declared in ``desktop.cli`` (which imports this module only when one
of them runs). Each handler takes the parsed arguments and returns the exit code:

- ``enrol --server URL --code CODE [--ca-bundle FILE] [--device-name NAME]``: enrols
  this PC with a one-time code; keeps the server address in the settings and the device
  token in the OS credential store (or a 0600 file), marks the device enrolled. A failure
  is told with the window's words (``enrol_failure``); exit 2.
- ``sync [--once]``: one round (push, the scans' upload, pull, heartbeat). Exit 0 only if
  nothing is left waiting (no request and no scan file) and there was no error; 1
  otherwise; 2 when the PC must be (re-)enrolled; 3 when another sync holds this data
  folder's sync lock.
- ``sync --loop [--until-empty] [--max-seconds S] [--interval S] [--max-backoff S]
  [--read-timeout S]``:
  rounds until stopped (SIGTERM/SIGINT end it after the call in progress), waiting out
  the backoff between failed rounds. ``--until-empty`` exits 0 after a clean round that
  left no request and no scan file waiting (``documents_waiting`` in the summary); only
  scans left: another round after at most ``DOCUMENTS_AGAIN_SECONDS``. ``--max-seconds``
  bounds it all (exit 1). ``--events`` prints every engine event as one JSON
  line on stdout (the fault-injection tests read them); the summary goes to stderr then.
- ``status [--json]``: what waits, what needs attention, last contact, next try.

Killing ``sync`` at any instant is safe: items in flight stay "sending" in the store and
the next round resends them (the server answers "duplicate").
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import signal
import ssl
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any

import requests

from desktop import __version__, audit
from desktop.audit import Action
from desktop.clerks import ClerkInfo
from desktop.cli import Context
from desktop.clock import Clock, utc_now
from desktop.config import Settings
from desktop.db.engine import Store
from desktop.db.models import Device
from desktop.errors import PermissionDeniedError
from desktop.office import DeviceInfo, this_device
from desktop.outbox import StoreQueue, SyncLock
from desktop.scans.outbox import document_lane
from desktop.syncstatus import read_status
from desktop.updater import program_root, reported_state
from rules.errors import Cancelled, UserFacingError
from rules.messages import Message
from sync import codings
from sync.backoff import Backoff
from sync.client import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT_BASE,
    InvalidResponse,
    NetworkError,
    ServerBusy,
    SyncClient,
    SyncError,
)
from sync.credentials import credential_store
from sync.engine import BatchPolicy, EventSink, RoundResult, SyncEngine, SyncEvent
from sync.protocol import EnrolRequest, EnrolResponse, ErrorCode

EXIT_OK = 0
EXIT_WAITING = 1
EXIT_ENROL = 2
EXIT_BUSY = 3
#: With --until-empty, the pause before another round when only scans are left.
DOCUMENTS_AGAIN_SECONDS = 5.0

NOT_SET_UP = Message(
    fa="این رایانه هنوز راه‌اندازی نشده است (فرمان init).",
    en="This PC has not been set up yet (the init command).",
)
NOT_ENROLLED = Message(
    fa="این رایانه هنوز در سرور مرکزی ثبت نشده است (فرمان enrol).",
    en="This PC is not enrolled with the central server yet (the enrol command).",
)
BAD_SERVER_ADDRESS = Message(
    fa="نشانی سرور مرکزی باید با https:// آغاز شود.",
    en="The central server's address starts with https://.",
)
ANSWER_MISMATCH = Message(
    fa="پاسخ سرور مرکزی با این رایانه نمی‌خواند؛ ثبت انجام نشد.",
    en="The central server's answer does not match this PC; not enrolled.",
)
# What an enrolment's failure means for the person enrolling (see enrol_failure).
ENROL_CANCELLED = Message(
    fa="ثبت لغو شد؛ این رایانه هنوز به سرور مرکزی وصل نیست. اگر دفعهٔ بعد کد پذیرفته نشد، "
    "کد تازه‌ای از دفتر مرکزی بگیرید.",
    en="Cancelled: this PC is not connected to the central server. If the code is refused "
    "next time, ask the central office for a new one.",
)
ENROL_UNREACHABLE = Message(
    fa="سرور مرکزی در دسترس نیست. نشانی سرور و اتصال اینترنت را بررسی کنید و دوباره تلاش "
    "کنید. درخواست‌های ذخیره‌شده از دست نمی‌روند.",
    en="The central server cannot be reached. Check the server address and the internet "
    "connection, then try again. Saved requests are not lost.",
)
ENROL_TIMEOUT = Message(
    fa="سرور مرکزی در زمان مقرر پاسخ نداد. اتصال اینترنت را بررسی کنید و دوباره تلاش کنید؛ "
    "اگر آن‌گاه کد پذیرفته نشد، کد تازه‌ای از دفتر مرکزی بگیرید.",
    en="The central server did not answer in time. Check the internet connection and try "
    "again; if the code is then refused, ask the central office for a new one.",
)
ENROL_TLS = Message(
    fa="اتصال امن به سرور مرکزی برقرار نشد: گواهی امنیتی سرور پذیرفته نشد. نشانی را بررسی "
    "کنید؛ اگر دفتر مرکزی پروندهٔ گواهی داده است، آن را انتخاب کنید.",
    en="No secure connection to the central server: its security certificate was not "
    "accepted. Check the address; if the central office gave you a certificate file, "
    "choose it.",
)
ENROL_NOT_A_SERVER = Message(
    fa="این نشانی سرور مرکزی پیشخوان نیست یا پاسخ آن قابل فهم نبود. نشانی را با دفتر مرکزی "
    "بررسی کنید.",
    en="This address is not a Pishkhan central server, or its answer could not be "
    "understood. Check the address with the central office.",
)
ENROL_SERVER_BUSY = Message(
    fa="سرور مرکزی فعلاً پاسخ نمی‌دهد؛ چند دقیقهٔ دیگر دوباره تلاش کنید.",
    en="The central server is not answering right now; try again in a few minutes.",
)
ENROL_INVALID_CODE = Message(
    fa="کد یک‌بارمصرف پذیرفته نشد: نادرست است، منقضی شده یا قبلاً به کار رفته است. کد را "
    "دوباره بررسی کنید یا کد تازه‌ای از دفتر مرکزی بگیرید.",
    en="The one-time code was not accepted: it is wrong, expired or already used. Check "
    "it, or ask the central office for a new one.",
)
ENROL_OFFICE_MISMATCH = Message(
    fa="این کد برای دفتر دیگری صادر شده است. از دفتر مرکزی کدی برای دفتر {office} بخواهید.",
    en="This code was issued for another office. Ask the central office for a code for "
    "office {office}.",
)
ENROL_COUNTER_TAKEN = Message(
    fa="باجهٔ {counter} این دفتر در سرور مرکزی به رایانهٔ دیگری داده شده است. اگر آن رایانه "
    "دیگر به کار نمی‌رود، از دفتر مرکزی بخواهید دسترسی آن را لغو کند و دوباره تلاش کنید؛ "
    "همین کد هنوز معتبر است.",
    en="Counter {counter} of this office is held by another PC at the central server. If "
    "that PC is no longer used, ask the central office to revoke it, then try again; this "
    "code is still valid.",
)
ENROL_REFUSED = Message(
    fa="سرور مرکزی ثبت را نپذیرفت: {reason}",
    en="The central server refused the enrolment: {reason}",
)


# --------------------------------------------------------------------------- assembly


def make_engine(
    store: Store,
    data_dir: Path,
    *,
    settings: Settings | None = None,
    on_event: EventSink | None = None,
    clock: Clock = utc_now,
    backoff: Backoff | None = None,
    batch_policy: BatchPolicy | None = None,
    read_timeout_base: float | None = None,
    head_wait_floor: float | None = None,
) -> SyncEngine:
    """The sync engine for this data folder (CLI and UI alike); refuses if not enrolled.
    ``read_timeout_base``, ``head_wait_floor``: the client's waits for an answer's head
    (sync.client; the defaults are production's)."""
    settings = settings or Settings(data_dir)
    device = this_device(store)
    if device is None:
        raise UserFacingError(NOT_SET_UP)
    server_url = str(settings.get("server_url")) or device.server_url or ""
    if not server_url:
        raise UserFacingError(NOT_ENROLLED)
    creds = credential_store(data_dir, device.id)
    client = SyncClient(
        server_url,
        creds.get,
        ca_bundle=str(settings.get("ca_bundle")) or None,
        device_id=device.id,
        app_version=__version__,
        allow_insecure_http=bool(settings.get("allow_insecure_http")),
        codings_file=data_dir / codings.FILE_NAME,  # zstd from the first push (issue 11)
    )
    if read_timeout_base is not None:
        client.read_timeout_base = read_timeout_base
    if head_wait_floor is not None:
        client.answer_waits.set_bounds(floor=head_wait_floor)
    queue = StoreQueue(store, clock)
    return SyncEngine(
        queue,
        client,
        clock=clock,
        backoff=backoff,
        batch_policy=batch_policy,
        on_event=on_event,
        app_version=__version__,
        documents=document_lane(
            store,
            client.base_url,
            creds.get,
            ca_bundle=str(settings.get("ca_bundle")) or None,
            clock=clock,
        ),
        # What the updater or the launcher last wrote (issue 16); "" when not installed.
        update_state=lambda: reported_state(program_root()),
    )


@dataclass(frozen=True)
class EnrolResult:
    """A finished enrolment: this PC as now recorded, and the office as the server names it."""

    device: DeviceInfo
    office_name: str
    server_url: str


class Enrolment:
    """One enrolment with a one-time code, which another thread may :meth:`abort` (Cancel).

    ``run`` does the whole enrolment: one call to the server, then the token, settings and
    database. Only the call can be aborted (:class:`Cancelled` is raised); once the server's
    answer is in, it is always recorded, since the code it spent cannot be spent again.
    ``settings``: the caller's own ``Settings`` object (a window keeps one in memory: it
    must see the new address and not write the old one back); ``ca_bundle``: ``None``
    keeps the setting as it is, ``""`` clears it, a path replaces it. ``by``: the clerk
    who enrols (recorded in the audit; must be the manager).
    """

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        server_url: str,
        code: str,
        ca_bundle: str | None = None,
        device_name: str | None = None,
        settings: Settings | None = None,
        by: ClerkInfo | None = None,
        clock: Clock = utc_now,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = DEFAULT_READ_TIMEOUT_BASE,
        allow_insecure_http: bool = False,
    ) -> None:
        self._store = store
        self._allow_insecure_http = allow_insecure_http
        self._data_dir = data_dir
        self._server_url = server_url.strip().rstrip("/")
        self._code = code
        self._ca_bundle = ca_bundle
        self._device_name = device_name
        self._settings = settings
        self._by = by
        self._clock = clock
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._lock = threading.Lock()
        self._client: SyncClient | None = None
        self._aborted = False

    def abort(self) -> None:
        """From any thread: give up the call to the server at once (``run`` raises Cancelled)."""
        with self._lock:
            self._aborted = True
            client = self._client
        if client is not None:
            client.abort()

    def run(self) -> EnrolResult:
        """Enrol; raises ``SyncError`` with the server's reason, ``UserFacingError``, Cancelled."""
        if self._by is not None and not self._by.is_manager:
            raise PermissionDeniedError(
                Message(
                    fa="ثبت این رایانه در سرور مرکزی فقط از مدیر دفتر برمی‌آید.",
                    en="Only the office manager can connect this PC to the central server.",
                )
            )
        device = this_device(self._store)
        if device is None:
            raise UserFacingError(NOT_SET_UP)
        try:
            client = SyncClient(
                self._server_url,
                lambda: None,
                ca_bundle=self._ca_bundle or None,
                device_id=device.id,
                app_version=__version__,
                connect_timeout=self._connect_timeout,
                read_timeout_base=self._read_timeout,
                allow_insecure_http=self._allow_insecure_http,
                codings_file=self._data_dir / codings.FILE_NAME,  # the answer's zstd offer
            )
        except ValueError as exc:
            raise UserFacingError(BAD_SERVER_ADDRESS, detail=str(exc)) from exc
        with self._lock:
            if not self._aborted:
                self._client = client
        try:
            if self._aborted:
                raise Cancelled()
            answer = client.enrol(
                EnrolRequest(
                    code=self._code.strip().upper(),
                    device_id=device.id,
                    office_code=device.office_code,
                    counter_no=device.counter_no,
                    device_name=self._device_name or device.name or f"PC-{device.counter_no}",
                    app_version=__version__,
                )
            )
        except SyncError as exc:
            if self._aborted:
                raise Cancelled() from exc
            raise
        finally:
            client.close()
        return self._record(device, answer)

    def _record(self, device: DeviceInfo, answer: EnrolResponse) -> EnrolResult:
        if answer.device_id != device.id or answer.office_code != device.office_code:
            raise UserFacingError(ANSWER_MISMATCH)
        url = self._server_url
        # The token first: a crash after it leaves a PC that syncs and only looks unenrolled.
        credential_store(self._data_dir, device.id).set(answer.device_token)
        settings = self._settings or Settings(self._data_dir)
        settings.set("server_url", url)
        if self._ca_bundle is not None:
            settings.set("ca_bundle", self._ca_bundle)
        settings.set("allow_insecure_http", self._allow_insecure_http)
        now = self._clock()
        with self._store.write() as s:
            row = s.get(Device, device.id)
            assert row is not None
            row.server_url = url
            row.enrolled_at = now
            audit.record(
                s,
                Action.DEVICE_ENROLLED,
                at=now,
                clerk_id=self._by.id if self._by is not None else None,
                server=url,
            )
        StoreQueue(self._store, self._clock).update_state(
            needs_reenrolment=False, last_error=None, next_try_at=None, hold_until=None, failures=0
        )
        info = this_device(self._store)
        assert info is not None
        return EnrolResult(device=info, office_name=answer.office_name, server_url=url)


def enrol_device(
    store: Store,
    data_dir: Path,
    *,
    server_url: str,
    code: str,
    ca_bundle: str | None = None,
    device_name: str | None = None,
    clock: Clock = utc_now,
    allow_insecure_http: bool = False,
) -> DeviceInfo:
    """Enrol this PC with a one-time code; raises ``SyncError`` with the server's reason."""
    return (
        Enrolment(
            store,
            data_dir,
            server_url=server_url,
            code=code,
            ca_bundle=ca_bundle,
            device_name=device_name,
            clock=clock,
            allow_insecure_http=allow_insecure_http,
        )
        .run()
        .device
    )


def enrol_failure(exc: BaseException, device: DeviceInfo | None = None) -> Message | None:
    """What to tell the person enrolling when :class:`Enrolment` failed; None for a bug.

    The sync client's error classes and the server's error codes become advice for the
    enrolment (the sync's own texts speak of queued requests, not of a code to check).
    """
    if isinstance(exc, Cancelled):
        return ENROL_CANCELLED
    if isinstance(exc, UserFacingError):
        return exc.message
    if isinstance(exc, NetworkError):
        if _tls_failure(exc):
            return ENROL_TLS
        return ENROL_TIMEOUT if exc.timeout else ENROL_UNREACHABLE
    if isinstance(exc, InvalidResponse):
        return ENROL_NOT_A_SERVER
    if isinstance(exc, ServerBusy):
        return ENROL_SERVER_BUSY
    if isinstance(exc, SyncError):
        if exc.code == ErrorCode.INVALID_CODE:
            return ENROL_INVALID_CODE
        if exc.code == ErrorCode.OFFICE_MISMATCH and device is not None:
            return ENROL_OFFICE_MISMATCH.format(office=device.office_code)
        if exc.code == ErrorCode.COUNTER_TAKEN and device is not None:
            return ENROL_COUNTER_TAKEN.format(counter=device.counter_no)
        if exc.status in (404, 405):  # no enrolment at that address: not our server
            return ENROL_NOT_A_SERVER
        return ENROL_REFUSED.format(reason=Message(fa=exc.message_fa, en=exc.message_en))
    return None


def _tls_failure(exc: BaseException) -> bool:
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, (ssl.SSLError, requests.exceptions.SSLError)):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


@contextlib.contextmanager
def _held(lock: SyncLock) -> Iterator[bool]:
    got = lock.acquire()
    try:
        yield got
    finally:
        if got:
            lock.release()


# --------------------------------------------------------------------------- commands


def cmd_enrol(args: argparse.Namespace) -> int:
    if args.ca_bundle and not Path(args.ca_bundle).is_file():
        from desktop.cli import InputError

        raise InputError(
            Message(
                fa=f"پروندهٔ گواهی {args.ca_bundle} پیدا نشد.",
                en=f"The certificate file {args.ca_bundle} was not found.",
            )
        )
    ctx = Context(args)
    try:
        try:
            info = enrol_device(
                ctx.store,
                ctx.data_dir,
                server_url=args.server,
                code=args.code,
                ca_bundle=args.ca_bundle,
                device_name=args.device_name,
                allow_insecure_http=args.allow_insecure_http,
            )
        except (SyncError, Cancelled, UserFacingError) as exc:
            # The window's words for an enrolment (the sync's own speak of queued requests,
            # which a PC that is not enrolled does not send).
            message = enrol_failure(exc, this_device(ctx.store))
            if message is None:
                raise
            print(ctx.say(message), file=sys.stderr)
            return EXIT_ENROL
        print(
            json.dumps(
                {
                    "enrolled": True,
                    "device_id": info.id,
                    "office_code": info.office_code,
                    "server_url": info.server_url,
                },
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    finally:
        ctx.close()


def cmd_sync(args: argparse.Namespace) -> int:
    ctx = Context(args)
    out: IO[str] = sys.stderr if args.events else sys.stdout
    emit = _json_lines(sys.stdout) if args.events else None
    try:
        backoff = Backoff(cap=args.max_backoff) if args.max_backoff else None
        try:
            engine = make_engine(
                ctx.store,
                ctx.data_dir,
                settings=ctx.settings,
                on_event=emit,
                backoff=backoff,
                read_timeout_base=args.read_timeout,
            )
        except UserFacingError as exc:  # not set up or not enrolled: nothing to send with
            print(ctx.say(exc.message), file=sys.stderr)
            return EXIT_ENROL
        lock = SyncLock(ctx.data_dir)
        if not args.loop:
            with _held(lock) as got:
                if not got:
                    print(
                        _say(ctx, "همگام‌سازی دیگری در جریان است.", "Another sync is in progress."),
                        file=sys.stderr,
                    )
                    return EXIT_BUSY
                result = engine.run_round()
            _print_summary(ctx, result, out, as_json=args.json)
            return _exit_code(result)
        return _loop(ctx, args, engine, lock, out)
    finally:
        ctx.close()


def _loop(
    ctx: Context, args: argparse.Namespace, engine: SyncEngine, lock: SyncLock, out: IO[str]
) -> int:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()
        engine.request_stop()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    interval = (
        args.interval
        if args.interval is not None
        else float(ctx.settings.get("sync_interval_seconds"))
    )
    deadline = time.monotonic() + args.max_seconds if args.max_seconds else None
    result: RoundResult | None = None
    try:
        while not stop.is_set():
            with _held(lock) as got:
                if got:
                    result = engine.run_round()
                    _print_summary(ctx, result, out, as_json=args.json)
            if got and result is not None and args.until_empty and _emptied(result):
                return EXIT_OK
            if not got or result is None:
                wait = 1.0  # another process is syncing this folder: look again shortly
            elif result.ok and result.waiting == 0:
                # Scans left after a clean round: the upload met a break or a refusal of
                # the line's (the round itself went through). A run meant to empty the
                # queue tries again soon; a standing loop keeps its interval.
                again = result.documents_waiting and args.until_empty
                wait = min(interval, DOCUMENTS_AGAIN_SECONDS) if again else interval
            else:
                # Failed: the backoff. Clean but items left (a "retry" answer, or saved
                # meanwhile): when the server allows, at once otherwise.
                wait = engine.seconds_until_due()
            if deadline is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return EXIT_WAITING
                wait = min(wait, remaining)
            stop.wait(wait)
        return EXIT_WAITING if result is None else _exit_code(result)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def cmd_status(args: argparse.Namespace) -> int:
    ctx = Context(args)
    try:
        status = sync_status(ctx.store, ctx.data_dir, settings=ctx.settings)
        if args.json:
            print(json.dumps(status, ensure_ascii=False))
            return EXIT_OK
        for name, value in status_lines(ctx, status):
            print(f"{name}: {value}")
        return EXIT_OK
    finally:
        ctx.close()


_YES = Message(fa="بله", en="yes")
_NO = Message(fa="خیر", en="no")
_STATUS_LABELS = {
    "enrolled": Message(fa="ثبت در سرور مرکزی", en="enrolled"),
    "waiting": Message(fa="در انتظار ارسال", en="waiting"),
    "oldest": Message(fa="قدیمی‌ترین در انتظار از", en="oldest waiting since"),
    "attention": Message(fa="نیازمند رسیدگی", en="needs attention"),
    "last_contact": Message(fa="آخرین تماس با مرکز", en="last contact"),
    "next_try": Message(fa="تلاش بعدی", en="next try"),
    "reenrol": Message(fa="نیاز به ثبت دوباره", en="needs re-enrolment"),
    "last_error": Message(fa="آخرین خطا", en="last error"),
}
_NEVER = Message(fa="هرگز", en="never")


def status_lines(ctx: Context, status: dict[str, Any]) -> list[tuple[str, str]]:
    """``status`` for people: labels and values in the context's language, times in the
    office's zone on the Jalali calendar."""
    from desktop.receipt import digits

    def yes(value: object) -> str:
        return ctx.say(_YES if value else _NO)

    def moment(text: str | None) -> dt.datetime | None:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None

    age = status["oldest_waiting_age_seconds"]
    oldest = None if age is None else utc_now() - dt.timedelta(seconds=age)
    error = status["last_error"]
    last_contact = moment(status["last_contact"])
    values = {
        "enrolled": yes(status["enrolled"]),
        "waiting": digits(status["waiting"], ctx.lang),
        "oldest": ctx.when(oldest),
        "attention": digits(status["attention"], ctx.lang),
        "last_contact": ctx.when(last_contact) if last_contact else ctx.say(_NEVER),
        "next_try": ctx.when(moment(status["next_try"])),
        "reenrol": yes(status["needs_reenrolment"]),
        "last_error": _say(ctx, error["message_fa"], error["message_en"]) if error else "-",
    }
    return [(ctx.say(_STATUS_LABELS[key]), value) for key, value in values.items()]


def sync_status(
    store: Store, data_dir: Path, *, settings: Settings | None = None, clock: Clock = utc_now
) -> dict[str, Any]:
    """The sync status as plain JSON-ready values (``status --json`` prints this)."""
    settings = settings or Settings(data_dir)
    device = this_device(store)
    return read_status(
        store,
        clock,
        enrolled=bool(device and device.enrolled),
        device_id=device.id if device else None,
        server_url=(
            str(settings.get("server_url")) or (device.server_url if device else None) or None
        ),
    ).to_json()


# --------------------------------------------------------------------------- output


def _emptied(result: RoundResult) -> bool:
    """A clean round that left no request and no scan file waiting."""
    return result.ok and result.waiting == 0 and result.documents_waiting == 0


def _exit_code(result: RoundResult) -> int:
    if result.needs_reenrolment:
        return EXIT_ENROL
    return EXIT_OK if _emptied(result) else EXIT_WAITING


def _say(ctx: Context, fa: str, en: str) -> str:
    return Message(fa=fa, en=en).text(ctx.lang if ctx.lang in ("fa", "en") else "fa")


def _print_summary(ctx: Context, result: RoundResult, out: IO[str], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False), file=out, flush=True)
        return
    from desktop.receipt import digits

    def n(value: int) -> str:
        return digits(value, ctx.lang)

    versions = ", ".join(n(v) for v in result.catalog_versions) or "-"
    text = Message(
        fa=f"ارسال {n(result.pushed)}: پذیرفته {n(result.accepted)} (تکراری "
        f"{n(result.duplicate)})، کنار گذاشته {n(result.set_aside)}، تلاش دوباره "
        f"{n(result.retried)}؛ تغییرهای دریافتی {n(result.status_applied)}، فهرست خدمات "
        f"{versions}؛ در انتظار {n(result.waiting)}، نیازمند رسیدگی {n(result.attention)}"
        f"، اسکن‌های در انتظار ارسال {n(result.documents_waiting)}",
        en=f"sent {result.pushed}: accepted {result.accepted} (duplicate {result.duplicate}),"
        f" set aside {result.set_aside}, retry {result.retried}; changes applied"
        f" {result.status_applied}, catalogues {versions};"
        f" waiting {result.waiting}, needs attention {result.attention},"
        f" scans waiting {result.documents_waiting}",
    )
    print(ctx.say(text), file=out, flush=True)
    if result.error is not None:
        print(_say(ctx, result.error.message_fa, result.error.message_en), file=out, flush=True)


def _json_lines(stream: IO[str]) -> EventSink:
    lock = threading.Lock()

    def emit(event: SyncEvent) -> None:
        line = json.dumps(event.to_json(), ensure_ascii=False, default=str)
        with lock:
            stream.write(line + "\n")
            stream.flush()

    return emit


__all__ = [
    "EnrolResult",
    "Enrolment",
    "cmd_enrol",
    "cmd_status",
    "cmd_sync",
    "enrol_device",
    "enrol_failure",
    "make_engine",
    "status_lines",
    "sync_status",
]
