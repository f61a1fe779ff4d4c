"""Two stateless nodes over one PostgreSQL behind HAProxy: what the protocol promises
holds whichever node answers (exactly-once storage, the feed's no-skip order, single-use
enrolment codes, cursors good on every node, the failed-auth throttle per PC address).
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests
import sqlalchemy as sa

from tests.multinode.conftest import Cluster
from tests.support.server import EnrolledDevice, RunningServer, sample_item

OFFICES = 4
PCS_PER_OFFICE = 3
BATCHES = 3
BATCH_SIZE = 10


def _pull_all(
    server: RunningServer, device: EnrolledDevice, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    """The feed from ``cursor`` to its end, page by page (each page may hit either node)."""
    changes: list[dict[str, Any]] = []
    with requests.Session() as session:
        for _ in range(10_000):
            params: dict[str, Any] = {"limit": 7}
            if cursor:
                params["cursor"] = cursor
            response = session.get(
                server.url("/v1/changes"), params=params, headers=device.headers, timeout=30
            )
            assert response.status_code == 200, response.text
            page = response.json()
            assert page["reset"] is False
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["more"]:
                assert cursor is not None
                return changes, cursor
    raise AssertionError("the feed never ended")


def _status_ids(changes: list[dict[str, Any]]) -> list[str]:
    return [c["request_id"] for c in changes if c["kind"] == "status"]


def test_many_pcs_over_both_nodes_stored_once_and_fed_without_skips(cluster: Cluster) -> None:
    lb = cluster.balancer
    offices = [lb.add_office() for _ in range(OFFICES)]
    devices = [
        lb.enrol(office.code, counter_no=n)
        for office in offices
        for n in range(1, PCS_PER_OFFICE + 1)
    ]
    office_of = {d.device_id: d.office_code for d in devices}
    batches = {
        d.device_id: [
            [sample_item(d.office_code, b * BATCH_SIZE + i + 1) for i in range(BATCH_SIZE)]
            for b in range(BATCHES)
        ]
        for d in devices
    }
    answers: dict[str, dict[str, dict[str, Any]]] = {d.device_id: {} for d in devices}
    pushing = threading.Event()
    pushing.set()

    def push_all(device: EnrolledDevice) -> None:
        with requests.Session() as session:
            for batch in batches[device.device_id]:
                response = lb.push(device, batch, session=session)
                assert response.status_code == 200, response.text
                for result in response.json()["results"]:
                    answers[device.device_id][result["id"]] = result

    # One reader per office follows the feed *while* its PCs push through both nodes.
    read_while_pushing: dict[str, list[dict[str, Any]]] = {}

    def follow(office_code: str) -> None:
        reader = next(d for d in devices if d.office_code == office_code)
        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        while pushing.is_set():
            page, cursor = _pull_all(lb, reader, cursor)
            seen += page
        page, cursor = _pull_all(lb, reader, cursor)  # after the last push: the rest
        read_while_pushing[office_code] = seen + page

    with ThreadPoolExecutor(len(devices) + OFFICES) as pool:
        readers = [pool.submit(follow, o.code) for o in offices]
        for future in [pool.submit(push_all, d) for d in devices]:
            future.result()
        pushing.clear()
        for future in readers:
            future.result()

    # Both nodes did part of the work.
    assert all(served > 0 for served in cluster.pushes_served()), cluster.pushes_served()
    accepted = {
        item_id: result
        for per_device in answers.values()
        for item_id, result in per_device.items()
        if result["status"] == "accepted"
    }
    assert len(accepted) == len(devices) * BATCHES * BATCH_SIZE
    codes = [r["tracking_code"] for r in accepted.values()]
    assert len(set(codes)) == len(codes)  # tracking codes unique across nodes

    # Exactly once: every batch sent again (through the balancer: the other node, often)
    # is answered duplicate with the tracking code first given.
    for device in devices:
        for batch in batches[device.device_id]:
            again = lb.push(device, batch).json()["results"]
            assert {r["status"] for r in again} == {"duplicate"}
            assert [r["tracking_code"] for r in again] == [
                accepted[item["id"]]["tracking_code"] for item in batch
            ]
    engine = sa.create_engine(cluster.database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            stored = Counter(
                row[0] for row in conn.execute(sa.text("SELECT id FROM requests")).all()
            )
            migrations = conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    assert set(stored) == set(accepted) and set(stored.values()) == {1}
    assert migrations == 1

    # No skips: what each office's reader saw while the pushes were landing on two nodes is
    # every accepted request of that office, each once.
    for office in offices:
        mine = {i for i, r in accepted.items() if office_of[_device_of(answers, i)] == office.code}
        seen = _status_ids(read_while_pushing[office.code])
        assert len(seen) == len(set(seen)) and set(seen) == mine


def _device_of(answers: dict[str, dict[str, dict[str, Any]]], item_id: str) -> str:
    return next(device for device, results in answers.items() if item_id in results)


def test_one_batch_sent_to_both_nodes_at_once_is_stored_once(cluster: Cluster) -> None:
    node1, node2 = cluster.nodes
    office = node1.add_office()
    device = node1.enrol(office.code)
    for round_no in range(5):
        batch = [sample_item(office.code, round_no * 20 + i + 1) for i in range(20)]
        barrier = threading.Barrier(2)

        def send(
            node: RunningServer,
            batch: list[dict[str, Any]] = batch,
            barrier: threading.Barrier = barrier,
        ) -> list[Any]:
            with requests.Session() as session:
                barrier.wait()
                response = node.push(device, batch, session=session)
            assert response.status_code == 200, response.text
            return list(response.json()["results"])

        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(send, (node1, node2))
        for item, a, b in zip(batch, first, second, strict=True):
            assert sorted([a["status"], b["status"]]) == ["accepted", "duplicate"], (a, b)
            assert a["tracking_code"] == b["tracking_code"]
            assert a["id"] == b["id"] == item["id"]


def test_cursor_of_one_node_reads_on_the_other(cluster: Cluster) -> None:
    node1, node2 = cluster.nodes
    office = node1.add_office()
    device = node1.enrol(office.code)
    first = [sample_item(office.code, seq) for seq in range(1, 6)]
    node1.push(device, first).raise_for_status()
    changes, cursor = _pull_all(node1, device)
    assert _status_ids(changes) == [i["id"] for i in first]
    later = [sample_item(office.code, seq) for seq in range(6, 9)]
    node1.push(device, later).raise_for_status()
    # Node 2 never handed out that cursor; it signs with the same key (in the database).
    news, cursor2 = _pull_all(node2, device, cursor)
    assert _status_ids(news) == [i["id"] for i in later]
    rest, _ = _pull_all(node1, device, cursor2)
    assert rest == []


def test_an_enrolment_code_works_once_across_nodes(cluster: Cluster) -> None:
    node1, node2 = cluster.nodes
    office = node1.add_office()
    # Three codes: a lost race is a failed code, and the nodes allow 3 each before 429.
    for n in range(1, 4):
        code = node1.enrolment_code(office.code)

        def enrol(
            node: RunningServer, counter: int, code: str = code, n: int = n
        ) -> requests.Response:
            with requests.Session() as session:
                return session.post(
                    node.url("/v1/enrol"),
                    json={
                        "code": code,
                        "device_id": f"00000000-0000-4000-8000-{n * 10 + counter:012d}",
                        "office_code": office.code,
                        "counter_no": n * 10 + counter,
                        "device_name": f"PC-{counter}",
                        "app_version": "0.1.0",
                    },
                    timeout=30,
                )

        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(enrol, (node1, node2), (1, 2)))
        statuses = sorted(a.status_code for a in answers)
        assert statuses[0] == 200 and 400 <= statuses[1] < 500, [a.text for a in answers]
        loser = next(a for a in answers if a.status_code != 200)
        assert loser.json()["error"] == "invalid_code"
        # The winner's token works on both nodes.
        winner = next(a for a in answers if a.status_code == 200).json()
        for node in (node1, node2):
            headers = {"Authorization": f"Bearer {winner['device_token']}"}
            assert node.session.get(node.url("/v1/changes"), headers=headers).status_code == 200


def test_failed_auth_throttle_sees_the_pc_address_not_the_balancer(cluster: Cluster) -> None:
    lb = cluster.balancer

    def attempt(address: str) -> int:
        response = lb.session.get(
            lb.url("/v1/changes"),
            headers={"Authorization": "Bearer not-a-token", "X-Forwarded-For": address},
            timeout=30,
        )
        return response.status_code

    # A burst of 3 per node: after at most 2 x 3 failures both nodes answer 429 to it ...
    statuses = [attempt("10.20.30.40") for _ in range(8)]
    assert set(statuses[:2]) == {401} and statuses[-2:] == [429, 429], statuses
    assert statuses.count(401) <= 6
    # ... while another office behind the same balancer is still only told 401.
    assert attempt("10.20.30.41") == 401
