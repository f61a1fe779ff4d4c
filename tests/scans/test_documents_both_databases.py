"""Requests with scans through the real server on both its databases (SQLite, PostgreSQL).

The push stores the request's scan links in its own transaction (COPY on PostgreSQL), the
server checks the scans against the item's catalogue version as the counter did, and the
documents' state follows the blobs: awaiting until every one is whole, then complete.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.synccli import enrol_device, make_engine
from tests.scans.lineup import save_text, save_with_scans
from tests.scans.scan_catalog import publish_with_scans
from tests.support.e2e import OFFICE_CODE, OFFICE_NAME, ClientTuning, Counter, EventLog
from tests.support.e2e import make_engine as e2e_engine
from tests.support.server import (
    RunningServer,
    postgres_base_url,
    postgres_schema_url,
    sample_item,
    start_server,
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    if request.param == "sqlite":
        with start_server(tmp_path / "server") as running:
            yield running
        return
    base = postgres_base_url()
    assert base is not None
    with (
        postgres_schema_url(base) as url,
        start_server(tmp_path / "server", database_url=url) as running,
    ):
        yield running


@pytest.fixture
def counter(server: RunningServer, tmp_path: Path) -> Iterator[Counter]:
    server.add_office(OFFICE_CODE, OFFICE_NAME)
    counter = Counter.create(tmp_path / "pc")
    code = server.enrolment_code(OFFICE_CODE)
    enrol_device(counter.store, counter.data_dir, server_url=server.base_url, code=code)
    catalog = publish_with_scans(counter.catalogs)
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(catalog.to_document(), ensure_ascii=False), encoding="utf-8")
    server.cli("publish-catalog", str(path))
    try:
        yield counter
    finally:
        counter.close()


def _documents(server: RunningServer, request_id: str) -> tuple[str, int, int]:
    answer = server.admin("GET", f"/v1/admin/requests/{request_id}/documents")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["state"], body["received"], body["total"]


def test_links_are_stored_with_the_push_and_complete_with_the_blobs(
    server: RunningServer, counter: Counter
) -> None:
    rng = random.Random(21)
    first = save_with_scans(counter, rng, [20_000, 10_000])
    second = save_with_scans(counter, rng, [20_000, 15_000, 5_000])
    text = save_text(counter, rng)
    text_only = e2e_engine(counter, ClientTuning(), EventLog())
    assert text_only.run_round().accepted == 3
    assert _documents(server, first.id) == ("awaiting_documents", 0, 2)
    assert _documents(server, second.id) == ("awaiting_documents", 0, 3)
    assert _documents(server, text.id) == ("none", 0, 0)
    assert make_engine(counter.store, counter.data_dir).run_round().ok
    assert _documents(server, first.id) == ("complete", 2, 2)
    assert _documents(server, second.id) == ("complete", 3, 3)


def test_scans_the_catalogue_does_not_take_are_refused_per_field(
    server: RunningServer, counter: Counter
) -> None:
    device = server.enrol(OFFICE_CODE, counter_no=2)
    scan = {"document": "national_card", "sha256": "ab" * 32, "size": 1000, "pages": 1}
    item = sample_item(OFFICE_CODE, 1, scans=[scan])  # a bill payment takes no documents
    answer = server.push(device, [item])
    assert answer.status_code == 200, answer.text
    (result,) = answer.json()["results"]
    assert result["status"] == "rejected" and "scans.national_card" in result["reasons"]
    plain = sample_item(OFFICE_CODE, 2, item_id=str(uuid.uuid4()))
    assert server.push(device, [plain]).json()["results"][0]["status"] == "accepted"
