"""The administrators' staff pages over real HTTP: a new reviewer made from the form logs
in with their scope; turning an account off ends its session at once; a lockout lifted;
an account's page changes its scope (the server's answers follow at once), role and state,
refuses bad values field by field, and sets a new password that ends the old sessions;
only an administrator may, with the page's CSRF token; each change is in the audit log."""

from __future__ import annotations

import re

import requests

from server.console.models import Role
from tests.console.conftest import PASSWORD, ConsoleClient, logged_in, make_staff
from tests.console.test_review import _office_with_requests
from tests.support.server import RunningServer


def _account_id(page: str, username: str) -> str:
    found = re.search(rf'<a href="/console/staff/(\d+)">{re.escape(username)}</a>', page)
    assert found is not None, page
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


def _edit(
    admin: ConsoleClient, account: str, csrf: str, **fields: str | list[str]
) -> requests.Response:
    form: list[tuple[str, str]] = []
    for name, value in fields.items():
        for one in [value] if isinstance(value, str) else value:
            form.append((name, one))
    return admin.post(f"/console/staff/{account}", form, csrf=csrf)


def test_an_accounts_scope_role_and_state_change_from_its_page(
    console_server: RunningServer,
) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    _fars, fars_items, _ = _office_with_requests(console_server, admin, "fars", 1)
    yazd, yazd_items, _ = _office_with_requests(console_server, admin, "yazd", 1)
    name = make_staff(console_server, provinces=("fars",))
    reviewer = logged_in(console_server, name)
    fars_page, yazd_page = (
        f"/console/requests/{items[0]['id']}" for items in (fars_items, yazd_items)
    )
    assert reviewer.get(fars_page).status_code == 200
    assert reviewer.get(yazd_page).status_code == 404

    account = _account_id(admin.get("/console/staff").text, name)
    page = admin.get(f"/console/staff/{account}")
    assert page.status_code == 200 and 'value="fars" selected' in page.text
    csrf = admin.csrf(f"/console/staff/{account}")
    moved = _edit(
        admin,
        account,
        csrf,
        display_name="بررسی‌کنندهٔ یزد",
        role="reviewer",
        province="yazd",
        services="bill_payment",
        offices="",
        active="yes",
    )
    assert moved.status_code == 303 and moved.headers["location"].endswith("?done=saved")
    # The same session, its next request: the new scope is the server's, not the page's.
    assert reviewer.get(fars_page).status_code == 404
    assert reviewer.get(yazd_page).status_code == 200
    shown = admin.get(f"/console/staff/{account}").text
    assert 'value="yazd" selected' in shown and 'value="fars" selected' not in shown
    assert 'value="bill_payment"' in shown

    by_office = _edit(admin, account, csrf, role="reviewer", offices=yazd, active="yes")
    assert by_office.status_code == 303
    assert reviewer.get(yazd_page).status_code == 200 and reviewer.get(fars_page).status_code == 404

    operator = _edit(admin, account, csrf, role="operator", active="yes")
    assert operator.status_code == 303
    assert reviewer.get("/console/inbox").status_code == 403
    assert reviewer.get("/console/fleet").status_code == 200

    off = _edit(admin, account, csrf, role="operator")  # the check box left unticked
    assert off.status_code == 303
    assert reviewer.get("/console/fleet").status_code == 303  # its session ended
    assert ConsoleClient(console_server.base_url).login(name).status_code == 401

    audit = admin.get("/console/audit").text
    assert "edit_staff" in audit and "province:fars" in audit and "province:yazd" in audit


def test_bad_values_are_refused_field_by_field(console_server: RunningServer) -> None:
    chief = make_staff(console_server, Role.ADMINISTRATOR)
    admin = logged_in(console_server, chief)
    name = make_staff(console_server, provinces=("fars",))
    page = admin.get("/console/staff").text
    account, own = _account_id(page, name), _account_id(page, chief)
    csrf = admin.csrf(f"/console/staff/{account}")
    bad = _edit(
        admin,
        account,
        csrf,
        role="reviewer",
        province=["fars", "atlantis"],
        services="bill_payment, no_such_service",
        offices="0000000",
        active="yes",
    )
    assert bad.status_code == 422
    assert 'id="province-problem"' in bad.text and "atlantis" in bad.text
    assert 'id="services-problem"' in bad.text and "no_such_service" in bad.text
    assert 'id="offices-problem"' in bad.text and "0000000" in bad.text
    assert 'value="bill_payment, no_such_service"' in bad.text  # what was typed, kept
    scoped_operator = _edit(admin, account, csrf, role="operator", province="fars", active="yes")
    assert scoped_operator.status_code == 422 and 'id="role-problem"' in scoped_operator.text
    no_role = _edit(admin, account, csrf, role="king", active="yes")
    assert no_role.status_code == 422 and 'id="role-problem"' in no_role.text
    # An administrator keeps their own role and account (someone must be left to fix things).
    demoted = _edit(admin, own, csrf, role="reviewer", active="yes")
    assert demoted.status_code == 422 and "نقش خودتان" in demoted.text
    assert _edit(admin, own, csrf, role="administrator").status_code == 422
    admin.http.cookies.set("pishkhan_console_lang", "en", path="/console")
    english = _edit(admin, account, csrf, role="reviewer", province="atlantis", active="yes")
    assert english.status_code == 422 and "Unknown provinces: atlantis" in english.text
    # Nothing of it was stored.
    assert 'value="fars" selected' in admin.get(f"/console/staff/{account}").text
    assert admin.get("/console/staff/99999").status_code == 404
    assert admin.get("/console/staff/x1").status_code == 404


def test_a_new_password_ends_the_old_sessions_and_lifts_the_lockout(
    console_server: RunningServer,
) -> None:
    chief = make_staff(console_server, Role.ADMINISTRATOR)
    admin = logged_in(console_server, chief)
    name = make_staff(console_server)
    reviewer = logged_in(console_server, name)
    stranger = ConsoleClient(console_server.base_url)
    for _ in range(3):
        stranger.login(name, "wrong wrong wrong")
    assert stranger.login(name).status_code == 401  # locked
    page = admin.get("/console/staff").text
    account, own = _account_id(page, name), _account_id(page, chief)
    csrf = admin.csrf(f"/console/staff/{account}")
    new = "a brand new passphrase"
    short = admin.post(
        f"/console/staff/{account}/password",
        {"password": "short", "password_again": "short"},
        csrf=csrf,
    )
    assert short.status_code == 422 and 'id="password-problem"' in short.text
    differ = admin.post(
        f"/console/staff/{account}/password",
        {"password": new, "password_again": new + "!"},
        csrf=csrf,
    )
    assert differ.status_code == 422 and "دو گذرواژه یکی نیستند" in differ.text
    assert reviewer.get("/console/inbox").status_code == 200  # nothing changed yet
    done = admin.post(
        f"/console/staff/{account}/password",
        {"password": new, "password_again": new},
        csrf=csrf,
    )
    assert done.status_code == 303 and done.headers["location"].endswith("?done=password")
    assert reviewer.get("/console/inbox").status_code == 303  # the old session is over
    assert ConsoleClient(console_server.base_url).login(name).status_code == 401
    assert ConsoleClient(console_server.base_url).login(name, new).status_code == 303

    # Their own password: the administrator's other sessions end, this one goes on.
    elsewhere = logged_in(console_server, chief)
    mine = admin.post(
        f"/console/staff/{own}/password", {"password": new, "password_again": new}, csrf=csrf
    )
    assert mine.status_code == 303
    assert admin.get("/console/staff").status_code == 200
    assert elsewhere.get("/console/staff").status_code == 303
    audit = admin.get("/console/audit").text
    assert audit.count("reset_staff_password") >= 2 and new not in audit


def test_only_an_administrator_with_the_token_edits_accounts(
    console_server: RunningServer,
) -> None:
    admin = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    name = make_staff(console_server, provinces=("fars",))
    account = _account_id(admin.get("/console/staff").text, name)
    reviewer = logged_in(console_server, make_staff(console_server))
    assert reviewer.get(f"/console/staff/{account}").status_code == 403
    theirs = reviewer.csrf()
    assert _edit(reviewer, account, theirs, role="administrator", active="yes").status_code == 403
    taken = reviewer.post(
        f"/console/staff/{account}/password",
        {"password": "x" * 12, "password_again": "x" * 12},
        csrf=theirs,
    )
    assert taken.status_code == 403
    # An administrator's session without the page's token (a forged form) is refused too.
    forged = admin.post(f"/console/staff/{account}", {"role": "administrator", "active": "yes"})
    assert forged.status_code == 403
    other_session = _edit(admin, account, theirs, role="administrator", active="yes")
    assert other_session.status_code == 403
    assert 'value="fars" selected' in admin.get(f"/console/staff/{account}").text
