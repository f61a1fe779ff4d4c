"""The administrators' staff page over real HTTP: a new reviewer made from the form logs
in with their scope; turning an account off ends its session at once; a lockout lifted."""

from __future__ import annotations

import re

from server.console.models import Role
from tests.console.conftest import PASSWORD, ConsoleClient, logged_in, make_staff
from tests.support.server import RunningServer


def _account_id(page: str, username: str) -> str:
    row = page.split(f'<td dir="ltr">{username}</td>', 1)[1].split("</tr>", 1)[0]
    found = re.search(r"/console/staff/(\d+)/active", row)
    assert found is not None, row
    return found[1]


def test_make_turn_off_and_unlock_accounts(console_server: RunningServer) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    csrf = admin.csrf("/console/staff")
    form = [
        ("username", "Yazd.Reviewer"),
        ("display_name", "بررسی‌کنندهٔ یزد"),
        ("role", "reviewer"),
        ("province", "yazd"),
        ("password", PASSWORD),
        ("password_again", PASSWORD + "x"),
    ]
    differ = admin.post("/console/staff", form, csrf=csrf)
    assert differ.status_code == 422 and "دو گذرواژه یکی نیستند" in differ.text
    form[-1] = ("password_again", PASSWORD)
    made = admin.post("/console/staff", form, csrf=csrf)
    assert made.status_code == 303, made.text
    again = admin.post("/console/staff", form, csrf=csrf)
    assert again.status_code == 422 and "گرفته شده" in again.text

    reviewer = logged_in(console_server, "yazd.reviewer")
    assert "یزد" in reviewer.get("/console/inbox").text  # the scope is shown
    assert reviewer.get("/console/staff").status_code == 403

    page = admin.get("/console/staff").text
    account = _account_id(page, "yazd.reviewer")
    off = admin.post(f"/console/staff/{account}/active", {"active": "no"}, csrf=csrf)
    assert off.status_code == 303
    assert reviewer.get("/console/inbox").status_code == 303  # its session is over
    assert ConsoleClient(console_server.base_url).login("yazd.reviewer").status_code == 401
    on = admin.post(f"/console/staff/{account}/active", {"active": "yes"}, csrf=csrf)
    assert on.status_code == 303

    stranger = ConsoleClient(console_server.base_url)
    for _ in range(3):
        stranger.login("yazd.reviewer", "wrong wrong wrong")
    assert stranger.login("yazd.reviewer").status_code == 401  # locked
    unlocked = admin.post(f"/console/staff/{account}/unlock", {}, csrf=csrf)
    assert unlocked.status_code == 303
    assert stranger.login("yazd.reviewer").status_code == 303
    audit = admin.get("/console/audit").text
    for action in ("create_staff", "disable_staff", "enable_staff", "unlock_staff"):
        assert action in audit
