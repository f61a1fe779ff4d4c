"""The server refuses what the counter's form refuses (one rule set, rules/): control
characters in a name and document keys the service does not define (issue 14)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.server import EnrolledDevice, RunningServer, sample_item


@pytest.fixture
def device(server: RunningServer) -> EnrolledDevice:
    return server.enrol(server.add_office().code, counter_no=1)


def _results(server: RunningServer, device: EnrolledDevice, items: list[Any]) -> Any:
    response = server.push(device, items)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_a_nul_in_a_name_and_an_unknown_document_are_rejected_with_their_paths(
    server: RunningServer, device: EnrolledDevice
) -> None:
    office = device.office_code
    applicant = sample_item(office, 1)["applicant"]
    nul_name = sample_item(office, 1, applicant={**applicant, "first_name": "زه\x00را"})
    line_break = sample_item(office, 2, applicant={**applicant, "last_name": "احم\nدی"})
    unknown_document = sample_item(office, 3, documents=["national_card"])
    good = sample_item(office, 4)
    results = _results(server, device, [nul_name, line_break, unknown_document, good])
    assert [r["status"] for r in results] == ["rejected", "rejected", "rejected", "accepted"]
    assert set(results[0]["reasons"]) == {"applicant.first_name"}
    assert set(results[1]["reasons"]) == {"applicant.last_name"}
    assert set(results[2]["reasons"]) == {"documents"}
    assert "national_card" in results[2]["reasons"]["documents"]["en"]
