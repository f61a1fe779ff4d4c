"""The reviewers' pages over real HTTP: inbox filters, search and pages; a request's page;
decisions, one and in bulk, landing in the change feed the counters read; and a reviewer's
scope enforced by the server (another province's request is 404, also for a decision)."""

from __future__ import annotations

import re

import requests

from server.console.models import Role
from tests.console.conftest import ConsoleClient, logged_in, make_staff
from tests.support.server import RunningServer, national_code, sample_item

TRACKING = re.compile(r"PK-[0-9A-Za-z_-]+-\d{10}")


def _office_with_requests(
    server: RunningServer, admin: ConsoleClient, province: str, count: int
) -> tuple[str, list[dict[str, object]], dict[str, str]]:
    office = server.add_office(name=f"دفتر {province}")
    answer = admin.post(
        f"/console/offices/{office.code}/province",
        {"province": province},
        csrf=admin.csrf(f"/console/offices/{office.code}"),
    )
    assert answer.status_code == 303, answer.text
    device = server.enrol(office.code)
    items = [sample_item(office.code, n + 1) for n in range(count)]
    pushed = server.push(device, items)
    assert pushed.ok, pushed.text
    return office.code, items, device.headers


def _changes(server: RunningServer, headers: dict[str, str]) -> list[dict[str, object]]:
    answer = requests.get(server.url("/v1/changes"), headers=headers, timeout=30)
    assert answer.ok
    return [c for c in answer.json()["changes"] if c["kind"] == "status"]


def test_a_province_reviewer_sees_only_their_province(console_server: RunningServer) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    fars, fars_items, _ = _office_with_requests(console_server, admin, "fars", 2)
    gilan, gilan_items, _ = _office_with_requests(console_server, admin, "gilan", 2)
    reviewer = logged_in(console_server, make_staff(console_server, provinces=("fars",)))
    inbox = reviewer.get("/console/inbox").text
    assert all(str(i["id"]) in inbox for i in fars_items)
    assert not any(str(i["id"]) in inbox for i in gilan_items)
    # Not only hidden: the server answers 404 for the page, the search, and a decision.
    other = gilan_items[0]
    assert reviewer.get(f"/console/requests/{other['id']}").status_code == 404
    searched = reviewer.get("/console/inbox", params={"q": other["applicant"]["national_code"]})  # type: ignore[index]
    assert str(other["id"]) not in searched.text
    decided = reviewer.post(
        f"/console/requests/{other['id']}/decide",
        {"state": "rejected", "reason_fa": "آزمایش"},
        csrf=reviewer.csrf(),
    )
    assert decided.status_code == 404
    bulk = reviewer.post(
        "/console/inbox/decide",
        [("id", str(other["id"])), ("state", "completed")],
        csrf=reviewer.csrf(),
    )
    assert bulk.status_code == 303 and bulk.headers["location"].endswith("done=0")
    assert "پذیرفته" in admin.get(f"/console/requests/{other['id']}").text
    assert reviewer.get(f"/console/requests/{fars_items[0]['id']}").status_code == 200
    # Operators do not read requests at all.
    operator = logged_in(console_server, make_staff(console_server, Role.OPERATOR))
    assert operator.get(f"/console/requests/{fars_items[0]['id']}").status_code == 403
    assert fars != gilan


def test_search_filters_and_keyset_pages(console_server: RunningServer) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    office, items, _ = _office_with_requests(console_server, admin, "yazd", 3)
    target = items[1]
    code = str(target["applicant"]["national_code"])  # type: ignore[index]
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    found = admin.get("/console/inbox", params={"q": persian}).text
    assert str(target["id"]) in found
    assert str(items[0]["id"]) not in found
    by_reference = admin.get("/console/inbox", params={"q": str(target["reference"])}).text
    assert str(target["id"]) in by_reference and str(items[2]["id"]) not in by_reference
    page = admin.get(f"/console/requests/{target['id']}").text
    tracking = TRACKING.search(page)
    assert tracking is not None
    by_tracking = admin.get("/console/inbox", params={"q": tracking[0]}).text
    assert str(target["id"]) in by_tracking and str(items[0]["id"]) not in by_tracking
    by_office = admin.get("/console/inbox", params={"office": office}).text
    assert all(str(i["id"]) in by_office for i in items)
    # Jalali dates: today (Tehran) includes them; a day long past does not.
    past = admin.get("/console/inbox", params={"office": office, "to": "۱۴۰۰/۰۱/۰۱"}).text
    assert not any(str(i["id"]) in past for i in items)
    bad = admin.get("/console/inbox", params={"from": "1405/13/40"})
    assert bad.status_code == 422 and "۱۴۰۳/۰۵/۱۲" in bad.text
    # Pages of 50, newest first: a fourth office with more than a page.
    many_office = console_server.add_office()
    device = console_server.enrol(many_office.code)
    many = [
        sample_item(many_office.code, n + 1, national=national_code(500_000 + n)) for n in range(55)
    ]
    assert console_server.push(device, many).ok
    first = admin.get("/console/inbox", params={"office": many_office.code}).text
    shown = [str(i["id"]) for i in many if str(i["id"]) in first]
    assert len(shown) == 50 and str(many[-1]["id"]) in shown and str(many[0]["id"]) not in shown
    link = re.search(r'href="(/console/inbox\?[^"]*before=\d+)"', first)
    assert link is not None
    second = admin.get(link[1].replace("&amp;", "&"), headers={"HX-Request": "true"}).text
    rest = [str(i["id"]) for i in many if str(i["id"]) in second]
    assert sorted(rest) == sorted(str(i["id"]) for i in many[:5])
    assert "<html" not in second  # htmx gets the rows only


def test_decisions_reach_the_change_feed(console_server: RunningServer) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    _office, items, headers = _office_with_requests(console_server, admin, "qom", 4)
    reviewer = logged_in(console_server, make_staff(console_server, provinces=("qom",)))
    first = str(items[0]["id"])
    refused = reviewer.post(
        f"/console/requests/{first}/decide", {"state": "needs_correction"}, csrf=reviewer.csrf()
    )
    assert refused.status_code == 422
    assert "دلیل را به فارسی بنویسید" in refused.text
    done = reviewer.post(
        f"/console/requests/{first}/decide",
        {
            "state": "needs_correction",
            "reason_fa": "تصویر قبض خوانا نیست.",
            "reason_en": "The bill scan is unreadable.",
        },
        csrf=reviewer.csrf(),
    )
    assert done.status_code == 303
    bulk = reviewer.post(
        "/console/inbox/decide",
        [("id", str(items[1]["id"])), ("id", str(items[2]["id"])), ("state", "completed")],
        csrf=reviewer.csrf(),
    )
    assert bulk.headers["location"].endswith("done=2")
    feed = {(c["request_id"], c["state"]): c for c in _changes(console_server, headers)}
    assert feed[(first, "needs_correction")]["reason_fa"] == "تصویر قبض خوانا نیست."
    assert feed[(first, "needs_correction")]["reason_en"] == "The bill scan is unreadable."
    assert (str(items[1]["id"]), "completed") in feed
    assert (str(items[2]["id"]), "completed") in feed
    assert not any(k[0] == str(items[3]["id"]) and k[1] != "accepted" for k in feed)
    page = reviewer.get(f"/console/requests/{first}").text
    assert "تصویر قبض خوانا نیست." in page and "نیازمند اصلاح" in page
    # Fields as the counter saw them, labelled from catalogue version 1.
    assert "شناسهٔ قبض" in page and "آب" in page  # label, and a choice shown by its label
    audit = admin.get("/console/audit").text
    assert "decide" in audit and first in audit
