"""A request's scans on its console page, over real HTTP against a real server: a counter
pushes a request naming two scanned parts (a catalogue version whose bill takes a scan of
up to two pages) and uploads one of them (the resumable /v1/blobs protocol); the
reviewer's page lists both, one received and one awaited, and serves the received one's
bytes with their type; outside the reviewer's scope, for a part not yet received, or to a
device token, there is nothing to see."""

from __future__ import annotations

import base64
import hashlib
import io
import json

import requests
from PIL import Image

from rules.catalog import demo_catalog_path
from server.catalogs import publish_catalog
from server.console.models import Role
from server.context import utc_now
from server.db import make_engine
from tests.console.conftest import ConsoleClient, logged_in, make_staff
from tests.support.server import EnrolledDevice, RunningServer, sample_item

SCANNED = {
    "key": "bill_scan",
    "label": {"fa": "تصویر قبض", "en": "Bill scan"},
    "required": False,
    "scan": "optional",
    "scan_pages": 2,
}


def publish_scannable(server: RunningServer) -> int:
    """A new catalogue version whose bill payment takes an optional scan of the bill."""
    document = json.loads(demo_catalog_path().read_text(encoding="utf-8"))
    for service in document["services"]:
        if service["code"] == "bill_payment":
            service["documents"] = [SCANNED]
    engine = make_engine(server.database_url)
    try:
        return publish_catalog(engine, document, now=utc_now())
    finally:
        engine.dispose()


def scanned_item(office: str, version: int, parts: list[bytes]) -> dict[str, object]:
    scans = [
        {
            "document": "bill_scan",
            "sha256": hashlib.sha256(d).hexdigest(),
            "size": len(d),
            "pages": 1,
        }
        for d in parts
    ]
    return sample_item(office, 1, catalog_version=version, documents=["bill_scan"], scans=scans)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("L", (120, 160), 200).save(out, "JPEG", quality=70)
    return out.getvalue()


def _upload(server: RunningServer, device: EnrolledDevice, data: bytes) -> None:
    sha = hashlib.sha256(data).hexdigest()
    made = requests.post(
        server.url("/v1/blobs"),
        json={"sha256": sha, "length": len(data)},
        headers=device.headers,
        timeout=30,
    )
    assert made.status_code == 201, made.text
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    sent = requests.patch(
        server.url(f"/v1/blobs/{sha}"),
        data=data,
        headers={
            **device.headers,
            "Upload-Offset": "0",
            "Upload-Checksum": f"sha256 {digest}",
            "Content-Type": "application/offset+octet-stream",
        },
        timeout=30,
    )
    assert sent.status_code in (200, 204), sent.text


def _office(
    server: RunningServer, admin: ConsoleClient, province: str
) -> tuple[str, EnrolledDevice]:
    office = server.add_office(name=f"دفتر {province}")
    answer = admin.post(
        f"/console/offices/{office.code}/province",
        {"province": province},
        csrf=admin.csrf(f"/console/offices/{office.code}"),
    )
    assert answer.status_code == 303, answer.text
    return office.code, server.enrol(office.code)


def test_the_received_scan_is_shown_and_the_awaited_one_is_named(
    console_server: RunningServer,
) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    code, device = _office(console_server, admin, "kerman")
    page_one, page_two = _jpeg(), b"%PDF-1.4 not yet sent"
    item = scanned_item(code, publish_scannable(console_server), [page_one, page_two])
    pushed = console_server.push(device, [item])
    assert pushed.ok and pushed.json()["results"][0]["status"] == "accepted", pushed.text
    _upload(console_server, device, page_one)

    reviewer = logged_in(console_server, make_staff(console_server, provinces=("kerman",)))
    page = reviewer.get(f"/console/requests/{item['id']}")
    assert page.status_code == 200
    listed = page.text.split('id="scans"', 1)[1].split("</ol>", 1)[0]
    first, second = listed.split("</li>")[:2]
    assert f"/console/requests/{item['id']}/scans/1" in first and "<iframe" in first
    assert "تصویر قبض" in first  # labelled from the request's catalogue version
    assert "/scans/2" not in second and "هنوز از باجه نرسیده است" in second
    assert "(۱ از ۲ رسیده)" in page.text

    shown = reviewer.get(f"/console/requests/{item['id']}/scans/1")
    assert shown.status_code == 200 and shown.content == page_one
    assert shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert shown.headers["cache-control"] == "no-store"
    assert shown.headers["content-disposition"] == 'inline; filename="bill_scan-1.jpg"'
    for missing in ("2", "3", "0", "99999", "x"):
        assert reviewer.get(f"/console/requests/{item['id']}/scans/{missing}").status_code == 404

    # Another province's reviewer: neither the page nor the scan, whatever the URL says.
    other = logged_in(console_server, make_staff(console_server, provinces=("fars",)))
    assert other.get(f"/console/requests/{item['id']}").status_code == 404
    assert other.get(f"/console/requests/{item['id']}/scans/1").status_code == 404
    # A device token opens no console page, scans included.
    door = requests.get(
        console_server.url(f"/console/requests/{item['id']}/scans/1"),
        headers=device.headers,
        timeout=30,
        allow_redirects=False,
    )
    assert door.status_code == 303 and "/console/login" in door.headers["location"]
    # An operator does not review: 403.
    operator = logged_in(console_server, make_staff(console_server, Role.OPERATOR))
    assert operator.get(f"/console/requests/{item['id']}/scans/1").status_code == 403
    assert "view_scan" in admin.get("/console/audit").text


def test_a_request_without_scans_says_so(console_server: RunningServer) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    code, device = _office(console_server, admin, "semnan")
    item = sample_item(code, 1)
    assert console_server.push(device, [item]).ok
    page = admin.get(f"/console/requests/{item['id']}")
    assert page.status_code == 200 and 'id="no-scans"' in page.text
    assert admin.get(f"/console/requests/{item['id']}/scans/1").status_code == 404
