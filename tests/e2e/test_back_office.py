"""What the central office does reaches the counter on its next round.

- ``python -m server set-status ... needs_correction --reason-fa ... --reason-en ...`` (and
  rejected, completed through the admin API): after one round the counter's requests
  show that state and reason.
- ``python -m server publish-catalog``: after one round ``CatalogStore.current()`` is the
  new version, so the form offers its services; a request made on it is accepted.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from rules.catalog import demo_catalog_path
from tests.support.e2e import (
    CentralServer,
    ClientTuning,
    Counter,
    EventLog,
    check_exactly_once,
    make_engine,
    settle,
)
from tests.support.faultproxy import FaultProxy, LinkConfig

pytestmark = pytest.mark.slow

REASON_FA = "تصویر شناسنامه خوانا نیست؛ دوباره بارگذاری شود."
REASON_EN = "The birth certificate scan is unreadable; upload it again."


def _catalogue_v2(path: Path) -> Path:
    """The demo catalogue with a new service, one withdrawn and a fee changed."""
    document = json.loads(demo_catalog_path().read_text(encoding="utf-8"))
    services = {s["code"]: s for s in document["services"]}
    new = copy.deepcopy(services["bill_payment"])
    new["code"] = "water_connection"
    new["title"] = {"fa": "درخواست انشعاب آب", "en": "Water connection request"}
    document["services"].append(new)
    services["fuel_card"]["active"] = False
    services["bill_payment"]["fees"]["office"] = 120_000
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_status_changes_and_a_new_catalogue_reach_the_counter(
    server: CentralServer, tmp_path: Path
) -> None:
    counter = Counter.create(tmp_path / "pc")
    try:
        rng = random.Random(5)
        saved = counter.save(6, rng)
        with FaultProxy("127.0.0.1", server.port, config=LinkConfig(rtt_ms=40)) as proxy:
            counter.enrol(server, proxy.url_for())
            engine = make_engine(counter, ClientTuning(), EventLog())
            settle(engine, max_rounds=10)
            assert counter.catalogs.current().version == 1

            decisions = {
                saved[0].id: ("needs_correction", REASON_FA, REASON_EN),
                saved[1].id: ("rejected", "مدارک ناقص است.", "The documents are incomplete."),
                saved[2].id: ("completed", None, None),
            }
            # The first decision by the server's command line, the others by its admin API
            # (each command costs a process start).
            first, *others = decisions.items()
            request_id, (state, fa, en) = first
            server.api.cli(
                "set-status", request_id, state, "--reason-fa", str(fa), "--reason-en", str(en)
            )
            for request_id, (state, fa, en) in others:
                answer = server.api.admin(
                    "POST",
                    f"/v1/admin/requests/{request_id}/status",
                    {"state": state, "reason_fa": fa, "reason_en": en},
                )
                assert answer.ok, answer.text
            published = server.api.cli("publish-catalog", str(_catalogue_v2(tmp_path / "v2.json")))
            assert published.stdout.strip().splitlines()[-1] == "2"

            result = engine.run_round()  # the next round, exactly one
            assert result.ok, result
            assert result.status_applied == 3 and result.catalog_versions == (2,), result
            local = counter.requests()
            for request_id, (state, fa, en) in decisions.items():
                assert (local[request_id][0], local[request_id][2], local[request_id][3]) == (
                    state,
                    fa,
                    en,
                )
            assert {local[s.id][0] for s in saved[3:]} == {"accepted"}

            current = counter.catalogs.current()
            offered = {s.code for s in current.active_services()}
            assert current.version == 2
            assert "water_connection" in offered and "fuel_card" not in offered
            assert current.service("bill_payment").fees.office == 120_000
            assert counter.catalogs.get(1).service("bill_payment").fees.office == 100_000

            # A request on the new form is what the server now expects.
            fresh = counter.save(2, rng, ["water_connection", "bill_payment"])
            settle(engine, max_rounds=10)
        check_exactly_once(counter, server, expected=8, decided=3)
        stored = server.rows(
            "SELECT id, catalog_version FROM requests WHERE id IN (?, ?)", fresh[0].id, fresh[1].id
        )
        assert sorted(v for _, v in stored) == [2, 2]
    finally:
        counter.close()
