"""Fixtures for the end-to-end tests: one counter folder of 1,000 requests, filled once.

Every request is saved through the real ``Intake`` (``sample_draft`` over every active
service of the demo catalogue). That costs one fsync per request, so the folder is made
once per session and each scenario syncs a byte copy of it against a server database of
its own (the same request ids are new to every fresh server).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.e2e import OFFICE_CODE, OFFICE_NAME, CentralServer, Counter, central_server

REQUESTS = 1000


@pytest.fixture(autouse=True)
def _file_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # The device token goes to a 0600 file in the data folder, never a developer's keyring.
    monkeypatch.setenv("PISHKHAN_CREDENTIALS", "file")


@pytest.fixture(scope="session")
def thousand_requests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed, not yet enrolled counter folder holding 1,000 queued requests."""
    folder = tmp_path_factory.mktemp("template") / "pc"
    counter = Counter.create(folder)
    try:
        counter.save(REQUESTS, random.Random(20261128))
        assert counter.outbox() == {"queued": REQUESTS}
    finally:
        counter.close()
    return folder


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CentralServer]:
    """A fresh central server (its own SQLite database) on a fixed free port."""
    with central_server(tmp_path / "server") as running:
        running.api.add_office(OFFICE_CODE, OFFICE_NAME)
        yield running


@pytest.fixture
def counter(thousand_requests: Path, tmp_path: Path) -> Iterator[Counter]:
    pc = Counter.copy_of(thousand_requests, tmp_path / "pc")
    yield pc
    pc.close()
