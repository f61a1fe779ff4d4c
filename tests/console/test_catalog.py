"""The catalogue page over real HTTP: a bad document is refused with the counter's own
reason; a good one shows its difference against the current version, is published only
when confirmed, and reaches the counters through the change feed."""

from __future__ import annotations

import copy
import json

import requests

from rules.catalog import demo_catalog_path
from server.console.models import Role
from tests.console.conftest import logged_in, make_staff
from tests.support.server import RunningServer


def _version_two() -> str:
    document = json.loads(demo_catalog_path().read_text(encoding="utf-8"))
    services = {s["code"]: s for s in document["services"]}
    new = copy.deepcopy(services["bill_payment"])
    new["code"] = "water_connection"
    new["title"] = {"fa": "درخواست انشعاب آب", "en": "Water connection request"}
    document["services"].append(new)
    services["fuel_card"]["active"] = False
    services["bill_payment"]["fees"]["office"] = 120_000
    return json.dumps(document, ensure_ascii=False)


def test_check_compare_and_publish(console_server: RunningServer) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    csrf = admin.csrf("/console/catalog")
    broken = json.loads(_version_two())
    broken["services"][0]["fields"][0]["requried"] = True
    refused = admin.post("/console/catalog/check", {"document": json.dumps(broken)}, csrf=csrf)
    assert refused.status_code == 422 and "requried" in refused.text
    assert admin.post("/console/catalog/check", {"document": "{"}, csrf=csrf).status_code == 422
    checked = admin.post("/console/catalog/check", {"document": _version_two()}, csrf=csrf)
    assert checked.status_code == 200
    diff = checked.text.split('id="diff"', 1)[1]
    assert "درخواست انشعاب آب" in diff and "خدمت تازه" in diff
    assert "غیرفعال شد" in diff and "هزینهٔ دفتر: ۱۰۰٬۰۰۰ ← ۱۲۰٬۰۰۰ ریال" in diff
    unconfirmed = admin.post("/console/catalog/publish", {"document": _version_two()}, csrf=csrf)
    assert unconfirmed.status_code == 422
    office = console_server.add_office()
    device = console_server.enrol(office.code)
    before = requests.get(console_server.url("/v1/changes"), headers=device.headers, timeout=30)
    versions = [c["version"] for c in before.json()["changes"] if c["kind"] == "catalog"]
    published = admin.post(
        "/console/catalog/publish", {"document": _version_two(), "confirm": "yes"}, csrf=csrf
    )
    assert published.status_code == 303
    new_version = int(published.headers["location"].rsplit("=", 1)[1])
    assert new_version == max(versions) + 1
    after = requests.get(console_server.url("/v1/changes"), headers=device.headers, timeout=30)
    assert new_version in [c["version"] for c in after.json()["changes"] if c["kind"] == "catalog"]
    reviewer = logged_in(console_server, make_staff(console_server))
    assert reviewer.get("/console/catalog").status_code == 403
