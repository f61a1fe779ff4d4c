"""The console in a real browser (Playwright driving Debian's Chromium, headless), against a
real server and a real counter program syncing with it:

- a reviewer logs in from the keyboard, finds a request the counter pushed by its national
  code, sends it back for correction, and the counter shows it after its next round;
- an operator sees the stuck office first, marked;
- a reviewer limited to one province does not see another's request, and the server
  answers 404 when the browser asks for it anyway;
- a form posted without the page's CSRF token is refused; a session id planted before the
  login is not the one after it.

One browser for the module. ``PISHKHAN_CONSOLE_SCREENSHOTS=DIR`` also saves the pages as
PNG files there (docs/screenshots is made that way).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import insert, select

from server.console.models import Role, office_provinces
from server.db import make_engine as server_engine
from server.models import offices
from tests.console.conftest import PASSWORD, make_staff
from tests.support.e2e import (
    OFFICE_CODE,
    OFFICE_NAME,
    CentralServer,
    ClientTuning,
    Counter,
    EventLog,
    central_server,
    make_engine,
    settle,
)
from tests.support.server import sample_item

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = os.environ.get("PISHKHAN_CONSOLE_SCREENSHOTS")
REASON_FA = "تصویر کارت ملی خوانا نیست؛ دوباره اسکن شود."
REASON_EN = "The national card scan is unreadable; scan it again."


@dataclass
class Live:
    server: CentralServer
    counter: Counter
    saved_ids: list[str]
    other_request: str
    stuck_office: str

    @property
    def url(self) -> str:
        return self.server.api.base_url


def _set_province(server: CentralServer, code: str, province: str) -> None:
    engine = server_engine(server.database_url)
    try:
        with engine.begin() as conn:
            office_id = conn.execute(select(offices.c.id).where(offices.c.code == code)).scalar()
            conn.execute(insert(office_provinces).values(office_id=office_id, province=province))
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live(console_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("browser")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PISHKHAN_CREDENTIALS", "file")
        with central_server(root / "server") as server:
            api = server.api
            api.add_office(OFFICE_CODE, OFFICE_NAME)
            _set_province(server, OFFICE_CODE, "fars")
            other = api.add_office(name="دفتر رشت")
            _set_province(server, other.code, "gilan")
            device = api.enrol(other.code)
            item = sample_item(other.code, 1)
            assert api.push(device, [item]).ok
            stuck = api.add_office(name="دفتر کوهستان")
            _set_province(server, stuck.code, "gilan")
            beat = {
                "queue_depth": 37,
                "oldest_waiting_seconds": 5 * 86400,
                "app_version": "0.1.0",
            }
            answer = requests.post(
                api.url("/v1/heartbeat"),
                json=beat,
                headers=api.enrol(stuck.code).headers,
                timeout=30,
            )
            assert answer.ok
            counter = Counter.create(root / "pc")
            try:
                saved = counter.save(3, random.Random(15))
                counter.enrol(server, api.base_url)
                settle(make_engine(counter, ClientTuning(), EventLog()), max_rounds=10)
                yield Live(server, counter, [s.id for s in saved], str(item["id"]), stuck.code)
            finally:
                counter.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context; any script error or refused resource (a CSP violation, a
    missing file) on its pages fails the test. The 403/404 answers a test provokes itself
    are expected and not counted."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fa-IR")
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    opened.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "status of 40" not in message.text
            else None
        ),
    )
    try:
        yield opened
    finally:
        context.close()
    assert problems == []


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _login(page: Page, base: str, username: str) -> None:
    page.goto(base + "/console/login")
    page.keyboard.type(username)  # the user name field has the focus
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/console/login" not in url)


def _national_code(live: Live, request_id: str) -> str:
    [(payload,)] = live.server.rows("SELECT payload FROM requests WHERE id = ?", request_id)
    return str(json.loads(payload)["applicant"]["national_code"])


def test_a_reviewer_sends_a_request_back_and_the_counter_shows_it(live: Live, page: Page) -> None:
    reviewer = make_staff(live.server.api, Role.REVIEWER, provinces=("fars",))
    _login(page, live.url, reviewer)
    assert page.locator("html").get_attribute("dir") == "rtl"
    _shot(page, "inbox")
    target = live.saved_ids[0]
    page.fill("#q", _national_code(live, target))
    page.press("#q", "Enter")
    page.wait_for_url("**q=*")
    links = page.locator("#rows a[href^='/console/requests/']")
    assert links.count() == 1
    links.first.click()
    page.wait_for_url(f"**/console/requests/{target}")
    assert "پذیرفته" in page.inner_text("#state")
    page.check("input[name=state][value=needs_correction]")
    page.fill("#reason_fa", REASON_FA)
    page.fill("#reason_en", REASON_EN)
    _shot(page, "request")
    page.click("form[action$='/decide'] button[type=submit]")
    page.wait_for_url("**done=needs_correction")
    assert "نیازمند اصلاح" in page.inner_text("#state")
    assert REASON_FA in page.inner_text("ol.history")

    engine = make_engine(live.counter, ClientTuning(), EventLog())
    result = engine.run_round()  # the counter's next round
    assert result.ok, result
    state, tracking, fa, en = live.counter.requests()[target]
    assert (state, fa, en) == ("needs_correction", REASON_FA, REASON_EN)
    assert tracking and tracking in page.content()
    assert {live.counter.requests()[i][0] for i in live.saved_ids[1:]} == {"accepted"}


def test_a_province_reviewer_cannot_see_another_province(live: Live, page: Page) -> None:
    reviewer = make_staff(live.server.api, Role.REVIEWER, provinces=("fars",))
    _login(page, live.url, reviewer)
    listed = page.inner_text("#inbox")
    assert OFFICE_NAME in listed and "دفتر رشت" not in listed
    answer = page.goto(live.url + f"/console/requests/{live.other_request}")
    assert answer is not None and answer.status == 404
    assert "پیدا نشد" in page.inner_text("main")


def test_an_operator_sees_the_stuck_office_first(live: Live, page: Page) -> None:
    operator = make_staff(live.server.api, Role.OPERATOR)
    _login(page, live.url, operator)
    first = page.locator("#stuck tbody tr").first
    assert "دفتر کوهستان" in first.inner_text()
    assert "stuck" in (first.get_attribute("class") or "")
    assert "۵ روز" in first.inner_text()
    _shot(page, "fleet")
    # English is one keystroke-reachable link away, and dates and digits follow.
    page.click("a.lang")
    page.wait_for_url("**/console/fleet")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "5 days" in page.locator("#stuck tbody tr").first.inner_text()


def test_csrf_and_session_fixation_in_the_browser(live: Live, page: Page) -> None:
    planted = "planted-by-someone-else-0123456789abcdef"
    page.context.add_cookies(
        [{"name": "pishkhan_console", "value": planted, "url": live.url + "/console/"}]
    )
    reviewer = make_staff(live.server.api, Role.REVIEWER)
    _login(page, live.url, reviewer)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies["pishkhan_console"] != planted
    target = live.saved_ids[1]
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: "POST", body: new URLSearchParams(
               {state: "completed"})})).status""",
        f"/console/requests/{target}/decide",
    )
    assert status == 403
    page.goto(live.url + f"/console/requests/{target}")
    assert "پذیرفته" in page.inner_text("#state")


def test_a_catalogue_file_is_checked_and_compared(live: Live, page: Page, tmp_path: Path) -> None:
    from tests.console.test_catalog import _version_two

    admin = make_staff(live.server.api, Role.ADMINISTRATOR)
    before = live.server.rows("SELECT max(version) FROM catalog_versions")
    _login(page, live.url, admin)
    page.goto(live.url + "/console/catalog")
    chosen = tmp_path / "catalogue-v2.json"
    chosen.write_text(_version_two(), encoding="utf-8")
    page.set_input_files("#catalog-file", str(chosen))  # read into the form by console.js
    page.wait_for_function("document.getElementById('document').value.length > 1000")
    page.click("form[action$='/check'] button")
    page.wait_for_selector("#diff")
    assert "درخواست انشعاب آب" in page.inner_text("#diff")
    _shot(page, "catalog-diff")
    assert live.server.rows("SELECT max(version) FROM catalog_versions") == before  # unpublished


def test_an_administrator_moves_a_reviewer_and_resets_the_password(
    live: Live, page: Page, browser: Browser
) -> None:
    reviewer = make_staff(live.server.api, Role.REVIEWER, provinces=("fars",))
    theirs = browser.new_context(locale="fa-IR").new_page()
    try:
        _login(theirs, live.url, reviewer)
        assert OFFICE_NAME in theirs.inner_text("#inbox")
        admin = make_staff(live.server.api, Role.ADMINISTRATOR)
        _login(page, live.url, admin)
        page.goto(live.url + "/console/staff")
        page.click(f"a:text-is('{reviewer}')")
        page.wait_for_url("**/console/staff/*")
        page.select_option("#provinces", ["gilan"])
        page.fill("#services", "")
        _shot(page, "staff-edit")
        page.click("#account button[type=submit]")
        page.wait_for_url("**done=saved")
        assert page.locator("#provinces option:checked").all_inner_texts() == ["گیلان"]
        theirs.reload()  # the reviewer's next page: the other province's requests
        listed = theirs.inner_text("#inbox")
        assert "دفتر رشت" in listed and OFFICE_NAME not in listed
        answer = theirs.goto(live.url + f"/console/requests/{live.other_request}")
        assert answer is not None and answer.status == 200

        page.fill("#password", "a new password for them")
        page.fill("#password_again", "a new password for them")
        page.click("#password-form button[type=submit]")
        page.wait_for_url("**done=password")
        theirs.goto(live.url + "/console/inbox")
        assert "/console/login" in theirs.url  # the old session ended with the old password
    finally:
        theirs.context.close()


def test_a_reviewer_sees_a_requests_scan_in_its_page(live: Live, page: Page) -> None:
    from tests.console.test_scans import _jpeg, _upload, publish_scannable, scanned_item

    api = live.server.api
    office = api.add_office(name="دفتر کرمان")
    _set_province(live.server, office.code, "kerman")
    device = api.enrol(office.code)
    scan = _jpeg()
    item = scanned_item(office.code, publish_scannable(api), [scan])
    assert api.push(device, [item]).ok
    _upload(api, device, scan)
    _login(page, live.url, make_staff(api, Role.REVIEWER, provinces=("kerman",)))
    page.goto(live.url + f"/console/requests/{item['id']}")
    frame = page.frame_locator("#scans iframe").first
    size = frame.locator("img").evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert size == [120, 160]
    if SHOTS:  # the documents part of the page
        page.locator("#scans").screenshot(path=str(Path(SHOTS) / "request-scans.png"))
