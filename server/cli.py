"""``python -m server <command>``: run the server, or administer its database directly.

The text of the command's ``--help`` is ``DESCRIPTION`` below (plain text, no markup).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import logging
import os
import re
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from sqlalchemy import Engine

from rules.versions import parse_version
from server import feed, monitoring, offices
from server.catalogs import publish_catalog
from server.context import utc_now
from server.db import make_engine
from server.errors import ApiError
from server.settings import ServerSettings
from sync.protocol import LEAN_REVISION, PROTOCOL_REVISION, TIME_PATTERN, RemoteState, encode

log = logging.getLogger("pishkhan.server")

DESCRIPTION = """\
Run the Pishkhan central server, or administer its database directly.

Every command takes --database-url and --data-dir (default: a SQLite file in the data
folder; environment: PISHKHAN_SERVER_DATABASE_URL, PISHKHAN_SERVER_DATA_DIR). The admin
commands work on the database without the HTTP API, and migrate it first."""


def _release_version(text: str) -> str:
    """``--minimum-version``: what every PC can compare with its own (``1.4.0``).

    Checked here: the heartbeat's answer carries it to every PC, and one a PC cannot read
    would stop the sync of the whole fleet."""
    try:
        parse_version(text)  # the PCs' own parsing (rules.versions)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a release version like 1.4.0") from None
    if len(text.strip()) > 40:  # the protocol's Text40
        raise argparse.ArgumentTypeError(f"{text!r} is not a release version like 1.4.0")
    return text.strip()


def _zoned_time(text: str) -> str:
    """``--minimum-version-after``: an ISO time with its zone, as the protocol carries it."""
    if not re.match(TIME_PATTERN, text.strip()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time with its zone, like 2027-01-15T00:00:00+03:30"
        )
    return text.strip()


def _settings(args: argparse.Namespace) -> ServerSettings:
    return ServerSettings.from_env(
        data_dir=args.data_dir,
        database_url=args.database_url,
        admin_token=getattr(args, "admin_token", None),
    )


@contextlib.contextmanager
def _prepared_engine(args: argparse.Namespace) -> Iterator[Engine]:
    """The database, migrated (admin commands work on it directly, not through HTTP)."""
    from server.prepare import prepare_database

    engine = make_engine(_settings(args).resolved_database_url)
    try:
        prepare_database(engine)
        yield engine
    finally:
        engine.dispose()


def bind_socket(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    """A bound TCP socket for uvicorn. IPPROTO_TCP explicitly: asyncio turns Nagle off
    (TCP_NODELAY) only on sockets whose proto says TCP, and without that every answer waits
    ~40 ms for the peer's delayed ACK (worse on a 300 ms rural link). ``reuse_port``: one
    of several sockets on the same port (SO_REUSEPORT), the kernel spreading connections
    over them."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` listening sockets on one port (``port`` 0: a free one), one per worker.

    One shared socket would do, but then the connections are not shared: every worker's
    event loop wakes on it and the first one accepts the whole queue (up to 100 at a time).
    50 PCs connecting at once ended up 39 on one worker and 12 on the other, and the
    busy worker's one core was the limit (bench ingest). With SO_REUSEPORT each worker
    accepts from a socket of its own and the kernel spreads new connections over them by
    their addresses. Linux; elsewhere (or ``count`` 1) one socket is shared."""
    if count <= 1 or not hasattr(socket, "SO_REUSEPORT"):
        sock = bind_socket(host, port)
        sock.listen(2048)
        return [sock] * max(1, count)
    sockets = [bind_socket(host, port, reuse_port=True)]
    port = sockets[0].getsockname()[1]
    try:
        sockets += [bind_socket(host, port, reuse_port=True) for _ in range(count - 1)]
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    for sock in sockets:  # all listen before anyone connects: the kernel uses them all
        sock.listen(2048)
    return sockets


def cmd_serve(args: argparse.Namespace) -> int:
    import dataclasses

    import uvicorn

    from server.app import create_app
    from server.http_guard import guarded_protocol

    settings = _settings(args)
    if args.threads is not None:
        settings = dataclasses.replace(settings, worker_threads=max(1, args.threads))
    if args.auth_failures_burst is not None:
        settings = dataclasses.replace(settings, auth_failures_burst=args.auth_failures_burst)
    if getattr(args, "minimum_version_after", None) and not getattr(args, "minimum_version", None):
        raise SystemExit("pishkhan-server: --minimum-version-after needs --minimum-version")
    if getattr(args, "minimum_version", None):
        settings = dataclasses.replace(
            settings,
            minimum_version=args.minimum_version,
            minimum_version_after=args.minimum_version_after,
        )
    if getattr(args, "updates_dir", None):
        settings = dataclasses.replace(settings, updates_dir=Path(args.updates_dir))
    if getattr(args, "protocol_revision", None) is not None:
        settings = dataclasses.replace(settings, protocol_revision=args.protocol_revision)
    for name in ("max_body_bytes", "max_inflated_bytes"):
        value = getattr(args, name)
        if value is not None:
            settings = dataclasses.replace(settings, **{name: max(1024, value)})
    for name in ("idle_timeout", "header_timeout", "body_idle_timeout"):
        value = getattr(args, name)
        if value is not None:
            settings = dataclasses.replace(settings, **{name: max(0.1, value)})
    workers = max(1, args.workers)
    if workers > 1 and not hasattr(os, "fork"):
        log.warning("--workers needs fork (Linux): serving with one process")
        workers = 1
    if workers > 1:
        # Migrate once, before the workers start: they must not race each other at it.
        with _prepared_engine(args):
            pass
        settings = dataclasses.replace(settings, migrate_on_start=False)
    # We bind the sockets ourselves so that --port 0 works and the chosen port is known;
    # with several workers each accepts on a socket of its own on that port (pre-fork).
    sockets = listening_sockets(args.host, args.port, workers)
    port = sockets[0].getsockname()[1]
    if not settings.admin_token:
        log.warning("no admin token (--admin-token / PISHKHAN_ADMIN_TOKEN): admin API is off")

    def serve(sock: socket.socket) -> None:
        for other in set(sockets) - {sock}:  # a dead worker's socket must leave the group
            other.close()
        app = create_app(settings)  # per process: its own database connections
        config = uvicorn.Config(
            app,
            log_level=args.log_level,
            access_log=args.access_log,
            # Idle (new or between requests), header time and size: server/http_guard.py.
            http=guarded_protocol(
                header_timeout=settings.header_timeout,
                max_header_bytes=settings.max_header_bytes,
            ),
            timeout_keep_alive=int(settings.idle_timeout),
            log_config=None,
        )
        uvicorn.Server(config).run(sockets=[sock])

    children = [_fork(functools.partial(serve, sock)) for sock in sockets[1:]]
    if args.port_file:
        tmp = Path(args.port_file).with_suffix(".tmp")
        tmp.write_text(str(port), encoding="ascii")
        tmp.replace(args.port_file)
    log.info(
        "serving on http://%s:%d with %d process(es) (database %s)",
        args.host,
        port,
        workers,
        _safe_url(settings),
    )

    def stop_workers() -> None:
        for pid in children:  # the main process stops: so do its workers
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        children.clear()

    def on_signal(signum: int, _frame: object) -> None:
        # uvicorn re-raises the stop signal once it has shut down; this handler is the
        # one it restores, so the workers are stopped before the main process exits.
        stop_workers()
        raise SystemExit(128 + signum)

    if children:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    try:
        serve(sockets[0])
    finally:
        stop_workers()
    return 0


def _fork(run: Callable[[], None]) -> int:
    pid = os.fork()
    if pid == 0:  # the worker: serve until told to stop, never return into the parent's code
        code = 0
        try:
            run()
        except BaseException:
            log.exception("server worker failed")
            code = 1
        finally:
            os._exit(code)
    return pid


def _safe_url(settings: ServerSettings) -> str:
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)


def cmd_init_db(args: argparse.Namespace) -> int:
    with _prepared_engine(args):
        print(f"database ready: {_safe_url(_settings(args))}")
        return 0


def cmd_add_office(args: argparse.Namespace) -> int:
    with _prepared_engine(args) as engine:
        offices.add_office(engine, args.code, args.name, now=utc_now())
        print(args.code)
        return 0


def cmd_enrolment_code(args: argparse.Namespace) -> int:
    with _prepared_engine(args) as engine:
        ttl = args.ttl_hours or ServerSettings().enrolment_code_ttl_hours
        print(offices.create_enrolment_code(engine, args.office, ttl_hours=ttl, now=utc_now()))
        return 0


def cmd_revoke_device(args: argparse.Namespace) -> int:
    with _prepared_engine(args) as engine:
        offices.revoke_device(engine, args.device_id, now=utc_now())
        print(f"revoked {args.device_id}")
        return 0


def cmd_set_status(args: argparse.Namespace) -> int:
    with _prepared_engine(args) as engine:
        change = feed.set_status(
            engine,
            args.request_id,
            RemoteState(args.state),
            reason_fa=args.reason_fa,
            reason_en=args.reason_en,
            now=utc_now(),
        )
        print(encode(change).decode("utf-8"))
        return 0


def cmd_publish_catalog(args: argparse.Namespace) -> int:
    with _prepared_engine(args) as engine:
        try:
            document = json.loads(Path(args.file).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            print(f"cannot read {args.file}: {exc}", file=sys.stderr)
            return 2
        print(publish_catalog(engine, document, now=utc_now()))
        return 0


def cmd_stuck_offices(args: argparse.Namespace) -> int:
    with _prepared_engine(args) as engine:
        ranked = monitoring.stuck_offices(engine, now=utc_now(), limit=args.limit)
        if args.json:
            print(json.dumps([o.to_json() for o in ranked], ensure_ascii=False, indent=2))
            return 0
        print(f"{'office':<10} {'waiting(s)':>10} {'queue':>6} {'PCs':>4}  last heartbeat")
        for o in ranked:
            data = o.to_json()
            waiting = "-" if o.oldest_waiting_seconds is None else str(o.oldest_waiting_seconds)
            print(
                f"{o.office_code:<10} {waiting:>10} {o.queue_depth:>6} {o.devices:>4}  "
                f"{data['last_heartbeat'] or 'never'}"
            )
        return 0


def cmd_create_staff(args: argparse.Namespace) -> int:
    """A console account (the first administrator, or any other); see docs/CONSOLE.md."""
    from server.console.cli import create_staff

    with _prepared_engine(args) as engine:
        return create_staff(engine, args)


def build_parser(*, console_arguments: bool = True) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in data dir)")
    common.add_argument("--data-dir", help="server data folder (default ./pishkhan-server-data)")

    parser = argparse.ArgumentParser(
        prog="python -m server",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = add("serve", cmd_serve, "run the HTTP server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--port-file", help="write the bound port to this file once bound")
    p.add_argument("--admin-token", help="bearer token for /v1/admin (env PISHKHAN_ADMIN_TOKEN)")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.add_argument("--access-log", action="store_true", help="log every HTTP request")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes sharing the port (Linux; pushes are CPU-bound)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help=f"threads per process running requests (default {ServerSettings().worker_threads})",
    )

    defaults = ServerSettings()
    p.add_argument(
        "--idle-timeout",
        type=float,
        help=f"close a connection silent this many seconds (default {defaults.idle_timeout:g})",
    )
    p.add_argument(
        "--header-timeout",
        type=float,
        help=f"seconds for a request's headers (default {defaults.header_timeout:g})",
    )
    p.add_argument(
        "--body-idle-timeout",
        type=float,
        help=f"give up on a body silent this long (default {defaults.body_idle_timeout:g})",
    )

    p.add_argument(
        "--auth-failures-burst",
        type=int,
        help="failed authentications per client address before 429 "
        f"(default {defaults.auth_failures_burst}, back at "
        f"{defaults.auth_failures_per_minute:g} a minute)",
    )

    p.add_argument(
        "--max-body-bytes",
        type=int,
        help=f"largest request body as sent (default {defaults.max_body_bytes})",
    )
    p.add_argument(
        "--max-inflated-bytes",
        type=int,
        help=f"largest gzip body once inflated (default {defaults.max_inflated_bytes})",
    )
    p.add_argument(
        "--protocol-revision",
        type=int,
        choices=[PROTOCOL_REVISION, LEAN_REVISION],
        help=f"newest protocol revision taken and advertised (default {LEAN_REVISION}; "
        f"{PROTOCOL_REVISION} while older nodes still serve the same address)",
    )
    p.add_argument("--updates-dir", help="serve this update repository under /updates/")
    p.add_argument(
        "--minimum-version",
        type=_release_version,
        help="lowest program version accepted, dotted numbers like 1.4.0 (heartbeat answer)",
    )
    p.add_argument(
        "--minimum-version-after",
        type=_zoned_time,
        help="time with its zone from which the minimum holds, like 2027-01-15T00:00:00+03:30",
    )

    add("init-db", cmd_init_db, "create or migrate the database; publish the demo catalogue")

    p = add("add-office", cmd_add_office, "add an office")
    p.add_argument("code")
    p.add_argument("name")

    p = add("enrolment-code", cmd_enrolment_code, "print a new one-time enrolment code")
    p.add_argument("office", help="office code")
    p.add_argument("--ttl-hours", type=float, help="validity (default 72)")

    p = add("revoke-device", cmd_revoke_device, "cut a PC off (its token answers 401)")
    p.add_argument("device_id")

    p = add("set-status", cmd_set_status, "record the back office's decision on a request")
    p.add_argument("request_id")
    p.add_argument("state", choices=[s.value for s in RemoteState])
    p.add_argument("--reason-fa")
    p.add_argument("--reason-en")

    p = add("publish-catalog", cmd_publish_catalog, "publish a catalogue document as a new version")
    p.add_argument("file")

    p = add("stuck-offices", cmd_stuck_offices, "offices whose PCs have waited longest to send")
    p.add_argument("--json", action="store_true")
    p.add_argument("--limit", type=int, default=100)

    p = add("create-staff", cmd_create_staff, "add a web console account (e.g. the first admin)")
    if console_arguments:
        from server.console.cli import add_arguments  # the console package imports FastAPI

        add_arguments(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Only create-staff needs the console's options (and the console package, FastAPI and
    # its templates with it): every other command starts without them.
    args = build_parser(console_arguments="create-staff" in argv).parse_args(argv)
    logging.basicConfig(
        level=getattr(logging, str(getattr(args, "log_level", "warning")).upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args))
    except ApiError as exc:
        body = exc.body
        print(f"error: {body.message_en}", file=sys.stderr)
        for name, reason in (body.fields or {}).items():
            print(f"  {name}: {reason.en}", file=sys.stderr)
        return 1
