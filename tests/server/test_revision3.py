"""Protocol revision 3 (issue 11) over HTTP, on both databases: a push without each item's
content hash, the batch's digest of them instead. The server hashes what it received and
stores exactly what the PC hashed at the save, or refuses the whole push (422, nothing
stored) so the PC can send it again with each item's hash; the per-item answers (accepted,
duplicate with the same code, conflict, rejected) are those of revision 2."""

from __future__ import annotations

import hashlib
from typing import Any

import requests

from sync.protocol import (
    LEAN_REVISION,
    REVISION_HEADER,
    ItemStatus,
    PushAnswer,
    batch_digest,
    decode,
    expand_runs,
)
from tests.support.server import EnrolledDevice, RunningServer, sample_item


def _lean(items: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    contents = [{k: v for k, v in item.items() if k != "content_hash"} for item in items]
    return contents, batch_digest([item["content_hash"] for item in items])


def _post(server: RunningServer, device: EnrolledDevice, body: dict[str, Any]) -> requests.Response:
    return server.session.post(
        server.url("/v1/push"), json=body, headers=device.headers, timeout=60
    )


def _push3(
    server: RunningServer, device: EnrolledDevice, items: list[dict[str, Any]]
) -> requests.Response:
    contents, digest = _lean(items)
    body = {"device_id": device.device_id, "revision": 3, "contents": contents, "digest": digest}
    return _post(server, device, body)


def _stored(server: RunningServer, device: EnrolledDevice) -> int:
    """How many requests of this device the server has (its feed of own acceptances is
    skipped in revision 2, so ask in revision 1: one change per accepted request)."""
    response = server.session.get(
        server.url("/v1/changes"), params={"limit": 1000}, headers=device.headers, timeout=60
    )
    assert response.status_code == 200, response.text
    return sum(1 for c in response.json()["changes"] if c["kind"] == "status")


def test_every_answer_says_the_server_takes_revision_3(server: RunningServer) -> None:
    health = server.session.get(server.url("/v1/health"), timeout=30)
    assert health.headers[REVISION_HEADER] == str(LEAN_REVISION)
    office = server.add_office()
    device = server.enrol(office.code)
    refused = _post(server, device, {"device_id": device.device_id})  # a 422 says it too
    assert refused.status_code == 422 and refused.headers[REVISION_HEADER] == "3"


def test_a_lean_push_stores_what_the_pc_hashed_and_answers_each_item(
    server: RunningServer,
) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    first = [sample_item(office.code, seq) for seq in (1, 2, 3)]
    answer = _push3(server, device, first)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["statuses"] == "aaa" and "results" not in body
    codes = expand_runs([tuple(run) for run in body["codes"]])
    # The same items sent with their hashes (revision 2): duplicates, the same codes, so
    # the server stored under each item the very hash the PC computed at the save.
    again = server.session.post(
        server.url("/v1/push"),
        json={"device_id": device.device_id, "items": first, "revision": 2},
        headers=device.headers,
        timeout=60,
    )
    assert again.json()["statuses"] == "ddd"
    assert expand_runs([tuple(run) for run in again.json()["codes"]]) == codes
    # In revision 3 again, mixed: a duplicate, a form error, a changed content under a
    # known id, a new one. Each is answered on its own, as in revision 2.
    bad = sample_item(office.code, 4, national="0012345678")
    changed = sample_item(office.code, 1, item_id=first[0]["id"], amount=999_000)
    fresh = sample_item(office.code, 5)
    mixed = [first[1], bad, changed, fresh]
    answer = _push3(server, device, mixed)
    assert answer.status_code == 200, answer.text
    results = decode(answer.content, PushAnswer).response([i["id"] for i in mixed]).results
    assert [r.status for r in results] == [
        ItemStatus.DUPLICATE,
        ItemStatus.REJECTED,
        ItemStatus.CONFLICT,
        ItemStatus.ACCEPTED,
    ]
    assert results[0].tracking_code == codes[1]
    assert results[1].reasons and "applicant.national_code" in results[1].reasons
    assert _stored(server, device) == 4


def test_a_digest_that_does_not_match_refuses_the_whole_push(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    items = [sample_item(office.code, seq) for seq in (1, 2, 3)]
    contents, digest = _lean(items)
    contents[1]["reference"] = "changed-on-the-way"  # what the PC hashed is not what came
    answer = _post(
        server,
        device,
        {"device_id": device.device_id, "revision": 3, "contents": contents, "digest": digest},
    )
    assert answer.status_code == 422, answer.text
    error = answer.json()
    assert error["error"] == "invalid" and set(error["fields"]) == {"digest"}
    assert error["fields"]["digest"]["fa"] and error["fields"]["digest"]["en"]
    assert _stored(server, device) == 0  # nothing of it stored, not even the good items
    # Sent with each item's hash, the changed one is named and the others go in.
    contents[1]["content_hash"] = items[1]["content_hash"]
    hashed = [
        {**c, "content_hash": i["content_hash"]} for c, i in zip(contents, items, strict=True)
    ]
    answer = server.session.post(
        server.url("/v1/push"),
        json={"device_id": device.device_id, "items": hashed, "revision": 2},
        headers=device.headers,
        timeout=60,
    )
    assert answer.json()["statuses"] == "ara"
    assert "content_hash" in answer.json()["notes"]["1"]["reasons"]


def test_an_unreadable_item_refuses_the_push_and_is_named(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    items = [sample_item(office.code, seq) for seq in (1, 2)]
    contents, digest = _lean(items)
    contents[1]["seq"] = -4
    body = {"device_id": device.device_id, "revision": 3, "contents": contents, "digest": digest}
    answer = _post(server, device, body)
    assert answer.status_code == 422, answer.text
    assert set(answer.json()["fields"]) == {"digest", "contents.1.seq"}
    # An item carrying its hash is not a revision-3 item either (nothing is silently
    # dropped from what the PC sent).
    body["contents"] = items
    answer = _post(server, device, body)
    assert answer.status_code == 422 and "contents.0.content_hash" in answer.json()["fields"]
    assert _stored(server, device) == 0


def test_a_lean_push_must_carry_contents_and_digest_and_no_items(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    items = [sample_item(office.code, 1)]
    contents, digest = _lean(items)
    cases: list[tuple[dict[str, Any], set[str]]] = [
        ({"contents": contents}, {"digest"}),
        ({"digest": digest}, {"contents"}),
        ({"contents": contents, "digest": digest, "items": items}, {"items"}),
        ({"contents": contents, "digest": "A" * 64}, {"digest"}),
        ({"contents": "not a list", "digest": digest}, {"contents"}),
    ]
    for extra, fields in cases:
        body = {"device_id": device.device_id, "revision": 3, **extra}
        answer = _post(server, device, body)
        assert answer.status_code == 422, (extra, answer.text)
        assert set(answer.json()["fields"]) == fields, (extra, answer.text)
    # Revision 2 still needs items (and ignores a digest).
    answer = _post(server, device, {"device_id": device.device_id, "revision": 2})
    assert answer.status_code == 422 and set(answer.json()["fields"]) == {"items"}
    assert _stored(server, device) == 0


def test_the_digest_is_sha256_of_the_hashes_joined_in_push_order() -> None:
    """The definition docs/PROTOCOL.md gives, which another implementation would follow."""
    hashes = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(3)]
    joined = b"".join(bytes.fromhex(h) for h in hashes)
    assert batch_digest(hashes) == hashlib.sha256(joined).hexdigest()
    assert batch_digest(hashes[::-1]) != batch_digest(hashes)
