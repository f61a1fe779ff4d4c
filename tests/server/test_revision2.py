"""Protocol revision 2 (issue 11) over HTTP: compact push answers, the feed without the
PC's own acceptances, byte-sized pages, the heartbeat riding on the changes call; and the
same server answering revision-1 clients exactly as before."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync.protocol import (
    CompactPushResponse,
    ItemStatus,
    ProtocolError,
    PushAnswer,
    code_runs,
    decode,
    expand_runs,
)
from tests.support.server import EnrolledDevice, RunningServer, sample_item


def _push2(server: RunningServer, device: EnrolledDevice, items: list[Any]) -> Any:
    response = server.session.post(
        server.url("/v1/push"),
        json={"device_id": device.device_id, "items": items, "revision": 2},
        headers=device.headers,
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response


def _changes(server: RunningServer, device: EnrolledDevice, **params: Any) -> Any:
    response = server.session.get(
        server.url("/v1/changes"), params=params, headers=device.headers, timeout=60
    )
    return response


def test_compact_answer_keeps_every_per_item_guarantee(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    first = [sample_item(office.code, seq) for seq in (1, 2, 3)]
    accepted = _push2(server, device, first).json()
    assert "results" not in accepted and accepted["statuses"] == "aaa"
    assert len(accepted["codes"]) == 1 and accepted["codes"][0][1] == 3  # one run of codes
    bad = sample_item(office.code, 4, national="0012345678")
    changed = sample_item(office.code, 1, item_id=first[0]["id"], amount=999_000)
    mixed = [first[1], bad, changed, sample_item(office.code, 5), first[1]]
    answer = _push2(server, device, mixed)
    body = answer.json()
    assert body["count"] == 5 and body["statuses"] == "drcad"
    assert set(body["notes"]) == {"1", "2"}  # reasons only where there are some
    assert "applicant.national_code" in body["notes"]["1"]["reasons"]
    assert "id" in body["notes"]["2"]["reasons"]
    ids = [item["id"] for item in mixed]
    results = decode(answer.content, PushAnswer).response(ids).results
    codes = expand_runs([tuple(run) for run in accepted["codes"]])
    assert [r.status for r in results] == [
        ItemStatus.DUPLICATE,
        ItemStatus.REJECTED,
        ItemStatus.CONFLICT,
        ItemStatus.ACCEPTED,
        ItemStatus.DUPLICATE,
    ]
    assert [r.id for r in results] == ids
    assert results[0].tracking_code == results[4].tracking_code == codes[1]
    assert results[3].tracking_code and results[3].tracking_code not in codes
    assert results[1].tracking_code is None and results[1].reasons
    # The old way for a client that does not ask: ids echoed, one result per item.
    old = server.push(device, mixed)
    assert [r["id"] for r in old.json()["results"]] == ids
    # All accepted (the usual push): one run of codes instead of twenty ids and codes.
    fresh = [sample_item(office.code, seq) for seq in range(6, 46)]
    compact = _push2(server, device, fresh[:20]).content
    full = server.push(device, fresh[20:]).content
    assert len(compact) * 8 < len(full)


def test_feed_leaves_out_own_acceptances_but_not_other_counters_or_decisions(
    server: RunningServer,
) -> None:
    office = server.add_office()
    pc1, pc2 = server.enrol(office.code, 1), server.enrol(office.code, 2)
    mine = [sample_item(office.code, seq) for seq in (1, 2)]
    theirs = [sample_item(office.code, seq) for seq in (1, 2)]
    _push2(server, pc1, mine)
    _push2(server, pc2, theirs)
    server.admin(
        "POST",
        f"/v1/admin/requests/{mine[0]['id']}/status",
        {"state": "completed", "reason_fa": None, "reason_en": None},
    ).raise_for_status()

    def statuses(device: EnrolledDevice, **params: Any) -> list[tuple[str, str]]:
        page = _changes(server, device, **params).json()
        assert not page["more"]
        return [(c["request_id"], c["state"]) for c in page["changes"] if c["kind"] == "status"]

    assert statuses(pc1, revision=2) == [
        (theirs[0]["id"], "accepted"),
        (theirs[1]["id"], "accepted"),
        (mine[0]["id"], "completed"),
    ]
    assert statuses(pc1) == [  # revision 1: everything, as before
        (mine[0]["id"], "accepted"),
        (mine[1]["id"], "accepted"),
        (theirs[0]["id"], "accepted"),
        (theirs[1]["id"], "accepted"),
        (mine[0]["id"], "completed"),
    ]


def test_pages_by_bytes_and_no_change_is_lost_between_them(server: RunningServer) -> None:
    office = server.add_office()
    pusher, reader = server.enrol(office.code, 1), server.enrol(office.code, 2)
    items = [sample_item(office.code, seq) for seq in range(1, 61)]
    _push2(server, pusher, items)
    seen: list[str] = []
    sizes: list[int] = []
    cursor: str | None = None
    for _ in range(100):
        params: dict[str, Any] = {"revision": 2, "limit": 1000, "max_bytes": 2048}
        if cursor:
            params["cursor"] = cursor
        response = _changes(server, reader, **params)
        page = json.loads(response.content)
        # Within the budget, or one change that is larger alone (a catalogue document).
        assert len(response.content) <= 2048 or len(page["changes"]) == 1
        sizes.append(len(response.content))
        seen += [c["request_id"] for c in page["changes"] if c["kind"] == "status"]
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert seen == [item["id"] for item in items]
    assert len(sizes) > 5
    assert _changes(server, reader, revision=2, max_bytes=100).status_code == 422


def test_heartbeat_rides_on_the_changes_call(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    beat = {"queue_depth": 7, "oldest_waiting_seconds": 90, "app_version": "0.9", "last_seq": 3}
    page = _changes(server, device, revision=2, heartbeat=json.dumps(beat)).json()
    assert page["heartbeat"]["server_time"] and page["heartbeat"]["minimum_version"] == ""
    stuck = server.admin("GET", "/v1/admin/offices/stuck").json()["offices"]
    [mine] = [o for o in stuck if o["office_code"] == office.code]
    assert mine["queue_depth"] == 7 and mine["oldest_waiting_seconds"] >= 90
    refused = _changes(server, device, revision=2, heartbeat=json.dumps({**beat, "last_seq": -1}))
    assert refused.status_code == 422 and "heartbeat.last_seq" in refused.json()["fields"]
    garbage = _changes(server, device, revision=2, heartbeat="{not json")
    assert garbage.status_code == 422 and "heartbeat" in garbage.json()["fields"]
    # The old call stays for older PCs.
    old = server.session.post(
        server.url("/v1/heartbeat"), json=beat, headers=device.headers, timeout=30
    )
    assert old.status_code == 200 and "server_time" in old.json()


def test_code_runs_round_trip_and_bad_compact_answers_are_refused() -> None:
    codes = ["PK-1-0000000007", "PK-1-0000000008", "X", "PK-1-0000000003", "PK-2-99", "PK-2-100"]
    runs = code_runs(codes)
    assert runs[0] == ("PK-1-0000000007", 2) and len(runs) == 5
    assert expand_runs(runs) == codes
    good = CompactPushResponse(count=2, statuses="ad", codes=[("PK-1-0000000007", 2)])
    assert [r.tracking_code for r in good.expanded(["a", "b"]).results] == codes[:2]
    for bad in (
        CompactPushResponse(count=3, statuses="ad", codes=[("PK-1-0000000007", 2)]),
        CompactPushResponse(count=2, statuses="aq", codes=[("PK-1-0000000007", 2)]),
        CompactPushResponse(count=2, statuses="ad", codes=[("PK-1-0000000007", 1)]),
        CompactPushResponse(count=2, statuses="ar", codes=[("PK-1-0000000007", 2)]),
        CompactPushResponse(count=2, statuses="aa", codes=[("PK-1-7", 2_000_000_000)]),
        CompactPushResponse(count=2, statuses="aa", codes=[("PK-1-9", 2)]),
    ):
        with pytest.raises(ProtocolError):
            bad.expanded(["a", "b"])
