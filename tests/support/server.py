"""The real central server for tests: a ``python -m server serve`` subprocess on 127.0.0.1.

Reusable by any test package (sync, UI, end-to-end)::

    from tests.support.server import running_server  # noqa: F401  (a pytest fixture)

    def test_something(running_server: RunningServer) -> None:
        office = running_server.add_office()            # a fresh office with a unique code
        device = running_server.enrol(office.code, counter_no=1)
        requests.get(running_server.url("/v1/changes"), headers=device.headers)

Or start one by hand with ``start_server(data_dir, database_url=...)`` (a context manager
too). PostgreSQL: the ``postgres_url`` fixture (or ``postgres_schema_url()``) makes a schema
of its own in the database named by ``PISHKHAN_TEST_PG_URL`` and drops it afterwards.
``sample_item()`` builds a request item that the demo catalogue (version 1) accepts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import random
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

from sync.protocol import content_hash, utc_iso

ROOT = Path(__file__).resolve().parents[2]
PG_URL_ENV = "PISHKHAN_TEST_PG_URL"
DEFAULT_ADMIN_TOKEN = "test-admin-token"
START_TIMEOUT_S = 60.0

_office_numbers = itertools.count(random.randrange(10_000, 90_000) * 1000)


@dataclass(frozen=True)
class Office:
    code: str
    name: str


@dataclass(frozen=True)
class EnrolledDevice:
    device_id: str
    token: str
    office_code: str
    counter_no: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class RunningServer:
    """A server subprocess and the helpers a test needs to drive it."""

    data_dir: Path
    database_url: str
    admin_token: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    extra_args: tuple[str, ...] = ()
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_token}"}

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def admin(self, method: str, path: str, json: Any = None) -> requests.Response:
        return self.session.request(
            method, self.url(path), json=json, headers=self.admin_headers, timeout=30
        )

    def add_office(self, code: str | None = None, name: str = "دفتر آزمایشی") -> Office:
        """An office with a code no other test uses (unless ``code`` is given)."""
        code = code or str(next(_office_numbers))
        response = self.admin("POST", "/v1/admin/offices", {"code": code, "name": name})
        response.raise_for_status()
        return Office(code=code, name=name)

    def enrolment_code(self, office_code: str, ttl_hours: float | None = None) -> str:
        body: dict[str, Any] = {"office_code": office_code}
        if ttl_hours is not None:
            body["ttl_hours"] = ttl_hours
        response = self.admin("POST", "/v1/admin/enrolment-codes", body)
        response.raise_for_status()
        return str(response.json()["code"])

    def enrol(
        self, office_code: str, counter_no: int = 1, device_id: str | None = None
    ) -> EnrolledDevice:
        device_id = device_id or str(uuid.uuid4())
        response = self.session.post(
            self.url("/v1/enrol"),
            json={
                "code": self.enrolment_code(office_code),
                "device_id": device_id,
                "office_code": office_code,
                "counter_no": counter_no,
                "device_name": f"PC-{counter_no}",
                "app_version": "0.1.0",
            },
            timeout=30,
        )
        response.raise_for_status()
        token = response.json()["device_token"]
        return EnrolledDevice(device_id, token, office_code, counter_no)

    def push(
        self, device: EnrolledDevice, items: list[Any], *, session: requests.Session | None = None
    ) -> requests.Response:
        """POST /v1/push; ``session``: a connection of the caller's (pushes from threads)."""
        return (session or self.session).post(
            self.url("/v1/push"),
            json={"device_id": device.device_id, "items": items},
            headers=device.headers,
            timeout=60,
        )

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """``python -m server <args> --database-url <this server's database>``."""
        return run_cli(*args, database_url=self.database_url, data_dir=self.data_dir, check=check)

    def stop(self) -> None:
        self.session.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM if os.name != "nt" else signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)

    def restart(self) -> None:
        """Stop this process and start a new one on the same database (port may change)."""
        self.stop()
        fresh = _launch(self.data_dir, self.database_url, self.admin_token, self.extra_args)
        self.process, self.port, self.log_path = fresh.process, fresh.port, fresh.log_path
        self.session = fresh.session


def run_cli(
    *args: str, database_url: str, data_dir: Path, check: bool = True
) -> subprocess.CompletedProcess[str]:
    command, *rest = args
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            command,
            "--database-url",
            database_url,
            "--data-dir",
            str(data_dir),
            *rest,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"server CLI {args} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def _launch(
    data_dir: Path, database_url: str, admin_token: str, extra_args: tuple[str, ...]
) -> RunningServer:
    data_dir.mkdir(parents=True, exist_ok=True)
    port_file = data_dir / f"port-{secrets.token_hex(4)}"
    log_path = data_dir / f"server-{secrets.token_hex(4)}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--database-url",
                database_url,
                "--data-dir",
                str(data_dir),
                "--admin-token",
                admin_token,
                *extra_args,
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = RunningServer(
        data_dir=data_dir,
        database_url=database_url,
        admin_token=admin_token,
        port=0,
        process=process,
        log_path=log_path,
        extra_args=extra_args,
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{server.log_text()}")
            if server.port == 0 and port_file.exists():
                server.port = int(port_file.read_text(encoding="ascii"))
            if server.port:
                # The port listens before the app is up: a node that waits its turn to
                # prepare the database (another migrating) leaves the call unanswered.
                with contextlib.suppress(requests.ConnectionError, requests.Timeout):
                    if server.session.get(server.url("/v1/health"), timeout=5).ok:
                        return server
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not answer /v1/health:\n{server.log_text()}")
            time.sleep(0.05)  # polling for readiness; nothing to wait on but the port
    except BaseException:
        server.stop()
        raise


@contextlib.contextmanager
def start_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    admin_token: str = DEFAULT_ADMIN_TOKEN,
    extra_args: tuple[str, ...] = (),
) -> Iterator[RunningServer]:
    """A running server (SQLite in ``data_dir`` unless ``database_url``); stopped on exit."""
    url = database_url or f"sqlite:///{(data_dir / 'server.sqlite3').resolve()}"
    server = _launch(data_dir, url, admin_token, extra_args)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def running_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server on SQLite in tmp_path, for one test."""
    with start_server(tmp_path / "server") as server:
        yield server


# --------------------------------------------------------------------------- PostgreSQL


def postgres_base_url() -> str | None:
    """``PISHKHAN_TEST_PG_URL``; on CI its absence is a failure, elsewhere a skip."""
    url = os.environ.get(PG_URL_ENV)
    if url:
        return url
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{PG_URL_ENV} is not set: CI must test PostgreSQL (see .ci/postgres.sh)")
    pytest.skip(f'{PG_URL_ENV} not set: run `eval "$(bash .ci/postgres.sh)"` to test PostgreSQL')
    return None


@contextlib.contextmanager
def postgres_schema_url(base_url: str) -> Iterator[str]:
    """A URL whose connections live in a new, empty schema; the schema is dropped after."""
    import sqlalchemy as sa

    schema = f"t_{secrets.token_hex(6)}"
    admin = sa.create_engine(base_url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        # application_name lets a test find (and cut) exactly this database's connections.
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}&application_name={schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """An empty PostgreSQL schema of this test's own (skipped without PostgreSQL; on CI a
    failure). Pass it to ``start_server(..., database_url=postgres_url)``."""
    base = postgres_base_url()
    assert base is not None
    with postgres_schema_url(base) as url:
        yield url


# --------------------------------------------------------------------------- request items


def national_code(nine_digits: int) -> str:
    """A valid national code whose first nine digits are ``nine_digits`` (zero-padded)."""
    head = f"{nine_digits % 1_000_000_000:09d}"
    total = sum(int(d) * (10 - i) for i, d in enumerate(head)) % 11
    code = head + str(total if total < 2 else 11 - total)
    if len(set(code)) == 1:  # all-same digits are refused even with a fitting check digit
        return national_code(nine_digits + 1)
    return code


def sample_item(
    office_code: str,
    seq: int,
    *,
    item_id: str | None = None,
    amount: int = 1_250_000,
    national: str | None = None,
    catalog_version: int = 1,
    service_code: str = "bill_payment",
    created_at: dt.datetime | None = None,
    supersedes: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A ``bill_payment`` request the demo catalogue accepts, hash included.

    ``overrides`` replace top-level fields *before* hashing (so the hash still matches).
    """
    fields: dict[str, Any] = {
        "id": item_id or str(uuid.uuid4()),
        "seq": seq,
        "reference": f"{office_code}-1-{seq:06d}",
        "office_code": office_code,
        "clerk": "clerk1",
        "service_code": service_code,
        "catalog_version": catalog_version,
        "created_at": utc_iso(created_at or dt.datetime.now(dt.UTC)),
        "applicant": {
            "national_code": national or national_code(12_345_678 + seq),
            "first_name": "زهرا",
            "last_name": "احمدی",
            "mobile": "09121234567",
        },
        "answers": {
            "bill_type": "water",
            "bill_id": "1234567890",
            "payment_id": "987654321",
            "amount": str(amount),
        },
        "documents": [],
        "fees": {"government": 0, "office": 100_000, "vat": 10_000},
        "card_ref": "123456789012",
        "supersedes": supersedes,
    }
    fields.update(overrides)
    fields["content_hash"] = content_hash(fields)
    return fields
