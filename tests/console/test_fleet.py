"""The fleet pages over real HTTP: stuck offices first and marked, grouped by province; an
office's PCs; an enrolment code (text and QR) that a PC can then use; revocation only
after a confirmation, and only for administrators."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import requests
from sqlalchemy import text

from server.console.models import Role
from server.db import make_engine
from tests.console.conftest import logged_in, make_staff
from tests.support.server import RunningServer


def _heartbeat(server: RunningServer, headers: dict[str, str], **beat: object) -> None:
    body = {"queue_depth": 0, "oldest_waiting_seconds": None, "app_version": "0.1.0", **beat}
    assert requests.post(server.url("/v1/heartbeat"), json=body, headers=headers, timeout=30).ok


def test_stuck_offices_come_first_and_are_marked(console_server: RunningServer) -> None:
    calm = console_server.add_office(name="دفتر آرام")
    stuck = console_server.add_office(name="دفتر گیرکرده")
    _heartbeat(console_server, console_server.enrol(calm.code).headers)
    _heartbeat(
        console_server,
        console_server.enrol(stuck.code).headers,
        queue_depth=40,
        oldest_waiting_seconds=3 * 86400,
        app_version="0.0.9",
    )
    operator = logged_in(console_server, make_staff(console_server, Role.OPERATOR))
    page = operator.get("/console/fleet").text
    section = page.split('id="stuck"', 1)[1].split("</table>", 1)[0]
    assert "دفتر گیرکرده" in section and "دفتر آرام" not in section
    assert "۳ روز" in section and "0.0.9" in section
    # Offices with no province yet: one line in the summary, and their own page.
    summary = page.split('id="provinces"', 1)[1].split("</table>", 1)[0]
    assert "بدون استان" in summary and "/console/fleet?province=_" in summary
    listed = operator.get("/console/fleet", params={"province": "_"}).text
    listed = listed.split('id="province-offices"', 1)[1].split("</table>", 1)[0]
    assert listed.index("دفتر گیرکرده") < listed.index("دفتر آرام")
    assert operator.get("/console/fleet", params={"province": "atlantis"}).status_code == 422
    for bad in ("x", "-1", "9999999"):
        answer = operator.get("/console/fleet", params={"province": "_", "first": bad})
        assert answer.status_code == 422 and "شمارهٔ صفحه نادرست است" in answer.text
    whole = operator.get("/console/fleet", params={"province": "_"}).text
    assert 'id="offices"' in whole and 'id="next-offices"' not in whole  # one page
    office = operator.get(f"/console/offices/{stuck.code}").text
    assert "PC-1" in office and "۴۰" in office
    assert "لغو دسترسی" not in office  # operators watch; administrators revoke
    reviewer = logged_in(console_server, make_staff(console_server))
    assert reviewer.get("/console/fleet").status_code == 403


def test_an_enrolment_code_from_the_console_enrols_a_pc_and_revocation_cuts_it_off(
    console_server: RunningServer,
) -> None:
    office = console_server.add_office()
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    path = f"/console/offices/{office.code}"
    bad = admin.post(f"{path}/enrolment-code", {"ttl_hours": "-4"}, csrf=admin.csrf(path))
    assert bad.status_code == 422 and "۷۲۰" in bad.text
    made = admin.post(f"{path}/enrolment-code", {"ttl_hours": "24"}, csrf=admin.csrf(path))
    assert made.status_code == 200
    code = re.search(r'id="enrolment-code">([A-Z0-9-]+)<', made.text)
    assert code is not None and "<svg" in made.text
    device_id = str(uuid.uuid4())
    enrolled = requests.post(
        console_server.url("/v1/enrol"),
        json={
            "code": code[1],
            "device_id": device_id,
            "office_code": office.code,
            "counter_no": 1,
            "device_name": "PC-1",
            "app_version": "0.1.0",
        },
        timeout=30,
    )
    assert enrolled.ok, enrolled.text
    headers = {"Authorization": f"Bearer {enrolled.json()['device_token']}"}
    assert requests.get(console_server.url("/v1/changes"), headers=headers, timeout=30).ok
    confirm = admin.get(f"/console/devices/{device_id}/revoke")
    assert confirm.status_code == 200 and "PC-1" in confirm.text
    unconfirmed = admin.post(f"/console/devices/{device_id}/revoke", {}, csrf=admin.csrf(path))
    assert unconfirmed.status_code == 422
    assert requests.get(console_server.url("/v1/changes"), headers=headers, timeout=30).ok
    operator = logged_in(console_server, make_staff(console_server, Role.OPERATOR))
    refused = operator.post(
        f"/console/devices/{device_id}/revoke",
        {"confirm": "yes"},
        csrf=operator.csrf("/console/fleet"),
    )
    assert refused.status_code == 403
    done = admin.post(
        f"/console/devices/{device_id}/revoke", {"confirm": "yes"}, csrf=admin.csrf(path)
    )
    assert done.status_code == 303
    cut = requests.get(console_server.url("/v1/changes"), headers=headers, timeout=30)
    assert cut.status_code == 401
    audit = admin.get("/console/audit").text
    assert "revoke_device" in audit and "enrolment_code" in audit


def test_an_office_page_shows_its_heartbeat_history(console_server: RunningServer) -> None:
    office = console_server.add_office(name="دفتر تاریخچه")
    headers = console_server.enrol(office.code).headers
    _heartbeat(console_server, headers, queue_depth=12, oldest_waiting_seconds=600)
    _heartbeat(console_server, headers, queue_depth=13, oldest_waiting_seconds=660)
    engine = make_engine(console_server.database_url)
    try:

        def samples() -> list[tuple[int, int | None]]:
            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT h.queue_depth, h.oldest_waiting_seconds FROM device_heartbeats h"
                        " JOIN devices d ON d.id = h.device_id JOIN offices o"
                        " ON o.id = d.office_id WHERE o.code = :c ORDER BY h.id"
                    ),
                    {"c": office.code},
                ).all()
            return [(r[0], r[1]) for r in rows]

        assert samples() == [(12, 600)]  # one sample per 15 minutes: the second is not kept
        with engine.begin() as conn:  # as if that sample were 20 minutes old
            conn.execute(
                text("UPDATE device_heartbeats SET at = :t WHERE queue_depth = 12"),
                {"t": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=20)},
            )
        _heartbeat(console_server, headers, queue_depth=3, oldest_waiting_seconds=60)
        assert samples() == [(12, 600), (3, 60)]
    finally:
        engine.dispose()
    operator = logged_in(console_server, make_staff(console_server, Role.OPERATOR))
    page = operator.get(f"/console/offices/{office.code}").text
    history = page.split('id="heartbeats"', 1)[1].split("</table>", 1)[0]
    assert history.count("<tr>") == 3  # the head and two samples, newest first
    assert history.index("۱ دقیقه") < history.index("۱۰ دقیقه")
