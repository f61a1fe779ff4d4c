"""Enrolment over HTTP: one-time codes, office and counter checks, tokens, revocation."""

from __future__ import annotations

import uuid
from typing import Any

import requests

from server.cli import main as server_cli
from tests.support.server import RunningServer


def _enrol(server: RunningServer, **body: Any) -> requests.Response:
    payload = {
        "device_id": str(uuid.uuid4()),
        "counter_no": 1,
        "device_name": "PC-1",
        "app_version": "0.1.0",
        **body,
    }
    return server.session.post(server.url("/v1/enrol"), json=payload, timeout=30)


def _changes(server: RunningServer, token: str) -> requests.Response:
    return server.session.get(
        server.url("/v1/changes"), headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def test_a_code_enrols_once_and_the_token_works(server: RunningServer) -> None:
    office = server.add_office(name="دفتر پیشخوان ۱")
    code = server.enrolment_code(office.code)
    device_id = str(uuid.uuid4())
    first = _enrol(server, code=code, office_code=office.code, device_id=device_id)
    assert first.status_code == 200, first.text
    assert first.headers["X-Pishkhan-Protocol"] == "1"
    body = first.json()
    assert body["office_code"] == office.code
    assert body["office_name"] == "دفتر پیشخوان ۱"
    assert body["device_id"] == device_id and body["counter_no"] == 1
    assert _changes(server, body["device_token"]).status_code == 200

    again = _enrol(server, code=code, office_code=office.code, counter_no=2)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_code"
    assert again.json()["fields"]["code"]["fa"]


def test_code_typed_in_lower_case_without_dashes_is_accepted(server: RunningServer) -> None:
    office = server.add_office()
    code = server.enrolment_code(office.code).replace("-", "").lower()
    assert _enrol(server, code=code, office_code=office.code).status_code == 200


def test_unknown_and_expired_codes_are_refused(server: RunningServer) -> None:
    office = server.add_office()
    unknown = _enrol(server, code="AAAA-BBBB-CCCC", office_code=office.code)
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_code"
    expired = server.enrolment_code(office.code, ttl_hours=1e-9)
    answer = _enrol(server, code=expired, office_code=office.code)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_code"


def test_office_mismatch_does_not_spend_the_code(server: RunningServer) -> None:
    office, other = server.add_office(), server.add_office()
    code = server.enrolment_code(office.code)
    wrong = _enrol(server, code=code, office_code=other.code)
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "office_mismatch"
    assert "office_code" in wrong.json()["fields"]
    assert _enrol(server, code=code, office_code=office.code).status_code == 200


def test_counter_taken_until_its_device_is_revoked(server: RunningServer) -> None:
    office = server.add_office()
    first = server.enrol(office.code, counter_no=3)
    taken = _enrol(
        server, code=server.enrolment_code(office.code), office_code=office.code, counter_no=3
    )
    assert taken.status_code == 409
    assert taken.json()["error"] == "counter_taken"
    assert server.admin("POST", f"/v1/admin/devices/{first.device_id}/revoke").status_code == 200
    freed = _enrol(
        server, code=server.enrolment_code(office.code), office_code=office.code, counter_no=3
    )
    assert freed.status_code == 200


def test_revoked_token_gets_401_and_reenrolment_replaces_the_token(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code, counter_no=1)
    assert _changes(server, device.token).status_code == 200
    # Revoked by the command line, which works on the database directly.
    assert (
        server_cli(["revoke-device", device.device_id, "--database-url", server.database_url]) == 0
    )
    refused = _changes(server, device.token)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthorized"
    assert refused.json()["message_fa"]

    again = server.enrol(office.code, counter_no=1, device_id=device.device_id)
    assert again.token != device.token
    assert _changes(server, again.token).status_code == 200
    assert _changes(server, device.token).status_code == 401
    # Re-enrolling the same id again with a new code makes the previous token useless.
    third = server.enrol(office.code, counter_no=1, device_id=device.device_id)
    assert _changes(server, again.token).status_code == 401
    assert _changes(server, third.token).status_code == 200


def test_missing_or_unknown_token_is_401(server: RunningServer) -> None:
    no_token = server.session.get(server.url("/v1/changes"), timeout=30)
    assert no_token.status_code == 401 and no_token.json()["error"] == "unauthorized"
    assert _changes(server, "made-up").status_code == 401
    basic = server.session.get(
        server.url("/v1/changes"), headers={"Authorization": "Basic eDp5"}, timeout=30
    )
    assert basic.status_code == 401


def test_enrol_body_problems_are_422_with_fields(server: RunningServer) -> None:
    office = server.add_office()
    code = server.enrolment_code(office.code)
    bad_id = _enrol(server, code=code, office_code=office.code, device_id="PC-1")
    assert bad_id.status_code == 422
    assert "device_id" in bad_id.json()["fields"]
    as_text = _enrol(server, code=code, office_code=office.code, counter_no="1")
    assert as_text.status_code == 422
    assert set(as_text.json()["fields"]) == {"counter_no"}
    # Nothing above spent the code.
    assert _enrol(server, code=code, office_code=office.code).status_code == 200


def test_admin_api_needs_the_admin_token(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    for headers in ({}, {"Authorization": "Bearer wrong"}, device.headers):
        answer = server.session.post(
            server.url("/v1/admin/offices"),
            json={"code": "9", "name": "x"},
            headers=headers,
            timeout=30,
        )
        assert answer.status_code == 401
    duplicate = server.admin("POST", "/v1/admin/offices", {"code": office.code, "name": "x"})
    assert duplicate.status_code == 409
    unknown = server.admin("POST", "/v1/admin/enrolment-codes", {"office_code": "nope"})
    assert unknown.status_code == 404


def test_a_lost_answer_lets_the_same_pc_retry_the_same_code(server: RunningServer) -> None:
    """On a rural link the server may spend the code and the answer never arrive."""
    office = server.add_office()
    code = server.enrolment_code(office.code)
    device_id = str(uuid.uuid4())
    lost = _enrol(server, code=code, office_code=office.code, device_id=device_id)
    assert lost.status_code == 200  # ... and imagine this answer was lost on the way
    retry = _enrol(server, code=code, office_code=office.code, device_id=device_id)
    assert retry.status_code == 200, retry.text
    new_token = retry.json()["device_token"]
    assert new_token != lost.json()["device_token"]
    assert _changes(server, new_token).status_code == 200
    assert _changes(server, lost.json()["device_token"]).status_code == 401
    # Another PC cannot ride on the spent code.
    other = _enrol(server, code=code, office_code=office.code, counter_no=2)
    assert other.status_code == 400 and other.json()["error"] == "invalid_code"
    # Nor can the same PC once it has been revoked.
    assert server.admin("POST", f"/v1/admin/devices/{device_id}/revoke").status_code == 200
    again = _enrol(server, code=code, office_code=office.code, device_id=device_id)
    assert again.status_code == 400 and again.json()["error"] == "invalid_code"
