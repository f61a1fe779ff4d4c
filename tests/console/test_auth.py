"""Staff login, sessions and their protections, over real HTTP against a real server:
wrong passwords and lockout, session ids rotated at login (no fixation), CSRF on every
form, idle timeout, the audit log, and the wall between staff sessions and device tokens.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import requests
from sqlalchemy import text

from server.console.models import Role
from server.db import make_engine
from tests.console.conftest import (
    PASSWORD,
    ConsoleClient,
    logged_in,
    make_staff,
)
from tests.support.server import ROOT, RunningServer, sample_item


def _audit(server: RunningServer, username: str) -> list[tuple[str, str]]:
    engine = make_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT action, address FROM staff_audit WHERE username = :u ORDER BY id"),
                {"u": username},
            ).all()
    finally:
        engine.dispose()
    return [(r[0], r[1]) for r in rows]


def test_a_wrong_password_is_refused_in_both_languages_and_audited(
    console_server: RunningServer,
) -> None:
    username = make_staff(console_server)
    client = ConsoleClient(console_server.base_url)
    refused = client.login(username, "not the password")
    assert refused.status_code == 401
    assert "نام کاربری یا گذرواژه درست نیست" in refused.text
    assert client.session_cookie is None
    client.get("/console/lang/en")
    refused = client.login(username, "still not it")
    assert "The user name or password is not right." in refused.text
    assert _audit(console_server, username) == [
        ("login_failed", "127.0.0.1"),
        ("login_failed", "127.0.0.1"),
    ]


def test_failures_lock_the_account_even_for_the_right_password(
    console_server: RunningServer,
) -> None:
    username = make_staff(console_server)
    client = ConsoleClient(console_server.base_url)
    for _ in range(3):  # PISHKHAN_CONSOLE_LOCKOUT_FAILURES
        assert client.login(username, "wrong wrong wrong").status_code == 401
    locked = client.login(username, PASSWORD)
    assert locked.status_code == 401
    assert "قفل" in locked.text
    assert client.session_cookie is None
    assert [a for a, _ in _audit(console_server, username)][-1] == "login_locked"
    # Another account is not affected.
    other = make_staff(console_server)
    assert client.login(other).status_code == 303


def test_login_rotates_the_session_id_no_fixation(console_server: RunningServer) -> None:
    username = make_staff(console_server)
    client = ConsoleClient(console_server.base_url)
    planted = "attacker-chosen-session-id-0123456789"
    client.http.cookies.set("pishkhan_console", planted, domain="127.0.0.1", path="/console")
    assert client.login(username).status_code == 303
    fresh = client.session_cookie
    assert fresh and fresh != planted
    assert client.get("/console/inbox").status_code == 200
    # The planted id opens nothing.
    attacker = ConsoleClient(console_server.base_url)
    attacker.http.cookies.set("pishkhan_console", planted, domain="127.0.0.1", path="/console")
    assert attacker.get("/console/inbox").status_code == 303
    # Logging in again from the same browser ends the session it came with.
    assert client.login(username).status_code == 303
    assert client.session_cookie != fresh
    replay = ConsoleClient(console_server.base_url)
    replay.http.cookies.set("pishkhan_console", fresh, domain="127.0.0.1", path="/console")
    assert replay.get("/console/inbox").headers["location"].startswith("/console/login")


def test_every_form_needs_the_sessions_csrf_token(console_server: RunningServer) -> None:
    office = console_server.add_office()
    device = console_server.enrol(office.code)
    item = sample_item(office.code, 1)
    assert console_server.push(device, [item]).ok
    reviewer = logged_in(console_server, make_staff(console_server))
    other = logged_in(console_server, make_staff(console_server))
    decision = {"state": "completed", "reason_fa": "", "reason_en": ""}
    path = f"/console/requests/{item['id']}/decide"
    assert reviewer.post(path, decision).status_code == 403  # none
    assert reviewer.post(path, decision, csrf="made-up").status_code == 403
    assert reviewer.post(path, decision, csrf=other.csrf()).status_code == 403  # another's
    forged = reviewer.http.post(
        reviewer.url(path),
        data={**decision, "csrf": reviewer.csrf()},
        headers={"Origin": "http://evil.example"},
        allow_redirects=False,
        timeout=30,
    )
    assert forged.status_code == 403
    page = reviewer.get(f"/console/requests/{item['id']}")
    assert "پذیرفته (در انتظار بررسی)" in page.text  # nothing was decided
    done = reviewer.post(path, decision, csrf=reviewer.csrf())
    assert done.status_code == 303
    # The login form has a token of its own (a login CSRF would log a victim into our account).
    stranger = ConsoleClient(console_server.base_url)
    answer = stranger.http.post(
        stranger.url("/console/login"),
        data={"username": "x", "password": "y", "csrf": "z"},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 403


def test_an_idle_session_ends(console_server: RunningServer) -> None:
    username = make_staff(console_server)
    client = logged_in(console_server, username)
    assert client.get("/console/inbox").status_code == 200
    engine = make_engine(console_server.database_url)
    try:
        with engine.begin() as conn:  # as if the browser had been left alone for 31 minutes
            conn.execute(
                text(
                    "UPDATE staff_sessions SET last_seen_at = :t WHERE account_id ="
                    " (SELECT id FROM staff_accounts WHERE username = :u)"
                ),
                {"t": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31), "u": username},
            )
    finally:
        engine.dispose()
    answer = client.get("/console/inbox")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/login")


def test_device_tokens_and_staff_sessions_open_only_their_own_doors(
    console_server: RunningServer,
) -> None:
    office = console_server.add_office()
    device = console_server.enrol(office.code)
    with_token = requests.get(
        console_server.url("/console/inbox"),
        headers=device.headers,
        allow_redirects=False,
        timeout=30,
    )
    assert with_token.status_code == 303 and "/console/login" in with_token.headers["location"]
    admin_token = requests.get(
        console_server.url("/console/fleet"),
        headers=console_server.admin_headers,
        allow_redirects=False,
        timeout=30,
    )
    assert admin_token.status_code == 303
    staff = logged_in(console_server, make_staff(console_server, Role.ADMINISTRATOR))
    cookie = staff.session_cookie
    assert cookie
    push = requests.post(
        console_server.url("/v1/push"),
        json={"device_id": device.device_id, "items": [sample_item(office.code, 1)]},
        cookies={"pishkhan_console": cookie},
        timeout=30,
    )
    assert push.status_code == 401
    changes = requests.get(
        console_server.url("/v1/changes"), cookies={"pishkhan_console": cookie}, timeout=30
    )
    assert changes.status_code == 401


def test_logout_ends_the_session(console_server: RunningServer) -> None:
    client = logged_in(console_server, make_staff(console_server))
    cookie = client.session_cookie
    assert client.post("/console/logout", {}, csrf=client.csrf()).status_code == 303
    again = ConsoleClient(console_server.base_url)
    again.http.cookies.set("pishkhan_console", cookie or "", domain="127.0.0.1", path="/console")
    assert again.get("/console/inbox").status_code == 303


def test_the_first_administrator_from_the_command_line(console_server: RunningServer) -> None:
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "create-staff",
            "chief",
            "--name",
            "مدیر مرکز",
            "--password-stdin",
            "--database-url",
            console_server.database_url,
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    assert "chief (administrator)" in made.stdout
    client = logged_in(console_server, "chief")
    start = client.get("/console/")
    assert start.headers["location"] == "/console/inbox"
    assert "مدیر مرکز" in client.get("/console/fleet").text
    short = subprocess.run(
        [
            *(sys.executable, "-m", "server", "create-staff", "deputy", "--password-stdin"),
            *("--database-url", console_server.database_url),
        ],
        input="short\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert short.returncode == 1
    assert "at least 10 characters" in short.stderr
    assert "Traceback" not in short.stderr
