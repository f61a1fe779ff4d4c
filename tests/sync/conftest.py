"""Fixtures for the sync tests: a counter PC's data folder and the real server.

``counter`` is a real SQLite store in tmp_path set up as an office the real server knows
(one server subprocess on 127.0.0.1 for the whole session, see ``server``). The device
token is kept in the 0600 file (``PISHKHAN_CREDENTIALS=file``), never in a developer's
own keyring.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from desktop.catalog_store import CatalogStore
from desktop.clerks import ClerkDirectory, ClerkInfo
from desktop.db.engine import Store
from desktop.db.models import OutboxEntry, Request, RequestStateChange
from desktop.intake import Intake, RequestDraft, SavedRequest
from desktop.office import DeviceInfo, initialise
from desktop.outbox import StoreQueue
from desktop.synccli import enrol_device, make_engine
from desktop.wire import compute_hash
from sync.backoff import Backoff
from sync.engine import BatchPolicy, EventSink, SyncEngine, SyncEvent
from tests.support.outbox import outbox_phases
from tests.support.server import RunningServer, national_code, start_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _file_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PISHKHAN_CREDENTIALS", "file")


def bill_draft(n: int) -> RequestDraft:
    """A bill payment the demo catalogue accepts; ``n`` makes it distinct."""
    return RequestDraft(
        service_code="bill_payment",
        applicant={
            "national_code": national_code(200_000_000 + n),
            "first_name": "زهرا",
            "last_name": "احمدی",
            "mobile": "09121234567",
        },
        answers={
            "bill_type": "water",
            "bill_id": "1234567890",
            "payment_id": "987654321",
            "amount": str(100_000 + n),
        },
        documents=(),
        card_ref="123456789012",
    )


@dataclass
class Counter:
    """One counter PC: its data folder, store and the use cases a test drives."""

    data_dir: Path
    store: Store
    device: DeviceInfo
    clerk: ClerkInfo
    intake: Intake
    catalogs: CatalogStore
    events: list[SyncEvent] = field(default_factory=list)

    @property
    def queue(self) -> StoreQueue:
        return StoreQueue(self.store)

    def save(self, n: int, start: int = 0) -> list[SavedRequest]:
        return [self.intake.save(self.clerk, bill_draft(start + i)) for i in range(n)]

    def enrol(self, server: RunningServer, url: str | None = None) -> None:
        code = server.enrolment_code(self.device.office_code)
        self.device = enrol_device(
            self.store, self.data_dir, server_url=url or server.base_url, code=code
        )

    def engine(
        self,
        *,
        backoff: Backoff | None = None,
        policy: BatchPolicy | None = None,
        on_event: EventSink | None = None,
    ) -> SyncEngine:
        return make_engine(
            self.store,
            self.data_dir,
            on_event=on_event or self.events.append,
            backoff=backoff,
            batch_policy=policy,
        )

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with contextlib.closing(self.store.raw_read()) as conn:
            return list(conn.execute(sql, params).fetchall())

    def states(self) -> dict[str, int]:
        return dict(self.rows("SELECT state, count(*) FROM requests GROUP BY state"))

    def outbox(self) -> dict[str, int]:
        return outbox_phases(self.rows)

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, PISHKHAN_DATA_DIR=str(self.data_dir))
        return subprocess.run(
            [sys.executable, "-m", "desktop", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def status(self) -> dict[str, Any]:
        proc = self.cli("status", "--json")
        assert proc.returncode == 0, proc.stderr
        return dict(json.loads(proc.stdout))


def make_counter(data_dir: Path, office_code: str, counter_no: int = 1) -> Counter:
    store = Store.open(data_dir)
    device = initialise(
        store, office_code=office_code, office_name="دفتر آزمایشی", counter_no=counter_no
    )
    catalogs = CatalogStore(store)
    catalogs.ensure_seeded()
    clerk = ClerkDirectory(store).create_manager("modir", "مدیر دفتر", "correct-horse")
    return Counter(data_dir, store, device, clerk, Intake(store, catalogs), catalogs)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One real server for the sync tests (starting one costs seconds); each test has its
    own office, so tests do not see each other's requests."""
    with start_server(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture
def counter(tmp_path: Path, server: RunningServer) -> Iterator[Counter]:
    office = server.add_office()
    c = make_counter(tmp_path / "pc", office.code)
    yield c
    c.store.close()


def insert_crafted(
    counter: Counter,
    *,
    national: str = "1234567890",
    answers: dict[str, Any] | None = None,
    answers_json: str | None = None,
) -> str:
    """A queued request written straight into the store, past the form's checks.

    What a bug in an older program version, or a hand-edited database, could leave in
    the outbox: the immutability trigger forbids changing a saved request, not inserting a
    bad one. Returns the request id.
    """
    now = dt.datetime.now(dt.UTC)
    with counter.store.write() as s:
        device_id, office_code, counter_no, seq = s.execute(
            text(
                "UPDATE devices SET next_seq = next_seq + 1 "
                "RETURNING id, office_code, counter_no, next_seq - 1"
            )
        ).one()
        req = Request(
            id=str(uuid.uuid4()),
            device_id=device_id,
            seq=seq,
            reference=f"{office_code}-{counter_no}-{seq:06d}",
            office_code=office_code,
            service_code="bill_payment",
            service_title_fa="قبض",
            service_title_en="Bill",
            catalog_version=1,
            national_code=national,
            first_name="زهرا",
            last_name="احمدی",
            mobile="09121234567",
            address="",
            answers_json=answers_json
            or json.dumps(
                answers
                or {
                    "amount": "100000",
                    "bill_id": "1234567890",
                    "bill_type": "water",
                    "payment_id": "987654321",
                },
                sort_keys=True,
            ),
            documents_json="[]",
            government_fee=0,
            office_fee=100_000,
            vat=10_000,
            card_ref="123456789012",
            clerk_id=counter.clerk.id,
            clerk_username=counter.clerk.username,
            created_at=now,
            content_hash="",
            state="queued",
            updated_at=now,
        )
        try:
            req.content_hash = compute_hash(req)
        except ValueError:  # content the counter could never have hashed (damaged JSON)
            req.content_hash = "0" * 64
        s.add(req)
        s.flush()
        s.add(RequestStateChange(request_id=req.id, state="queued", source="counter", at=now))
        s.add(OutboxEntry(request_id=req.id, seq=seq, attempts=0, enqueued_at=now))
        return req.id


def server_rows(server: RunningServer, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the server's own SQLite database (what it really stored)."""
    path = server.database_url.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return list(conn.execute(sql, params).fetchall())
