"""The console's cookies behind a TLS proxy (over real HTTP to a real server process).

HAProxy (or nginx) ends TLS and speaks plain HTTP to the node, saying
``X-Forwarded-Proto: https``. The node believes it only from the addresses in
``FORWARDED_ALLOW_IPS`` (uvicorn's proxy headers, the same trust the throttle's
``X-Forwarded-For`` has, docs/DEPLOYMENT.md): from there the session and login cookies
are ``Secure`` (a browser never sends them over plain HTTP); from anyone else the header
changes nothing, so a client cannot make the server think a plain connection is TLS.
Pages over TLS also tell the browser to keep to it (``Strict-Transport-Security``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from server.console.models import Role
from tests.console.conftest import _FORM_CSRF, PASSWORD, make_staff
from tests.support.server import RunningServer, start_server

TLS = {"X-Forwarded-Proto": "https"}


def _cookie_flags(answer: requests.Response, name: str) -> list[str]:
    """The attributes of the ``Set-Cookie`` for ``name``, lower-cased."""
    for header in answer.raw.headers.getlist("set-cookie"):
        if header.startswith(name + "="):
            return [part.strip().lower() for part in header.split(";")[1:]]
    raise AssertionError(f"no {name} cookie in {answer.headers}")


def _login(server: RunningServer, username: str, headers: dict[str, str]) -> requests.Response:
    """Log in as a browser speaking TLS to the proxy would: the login form's cookie sent
    back by hand (``requests`` keeps a Secure cookie to itself over http://)."""
    page = requests.get(server.url("/console/login"), headers=headers, timeout=30)
    token = _FORM_CSRF.search(page.text)
    assert page.status_code == 200 and token is not None
    cookie = page.cookies.get("pishkhan_console_login") or _cookie_value(page)
    answer = requests.post(
        server.url("/console/login"),
        data={"csrf": token[1], "username": username, "password": PASSWORD, "next": ""},
        headers={**headers, "Cookie": f"pishkhan_console_login={cookie}"},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer


def _cookie_value(answer: requests.Response) -> str:
    for header in answer.raw.headers.getlist("set-cookie"):
        if header.startswith("pishkhan_console_login="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError("no login cookie")


def test_behind_a_trusted_tls_proxy_the_cookies_are_secure(
    console_server: RunningServer,
) -> None:
    page = requests.get(console_server.url("/console/login"), headers=TLS, timeout=30)
    assert "secure" in _cookie_flags(page, "pishkhan_console_login")
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    answer = _login(console_server, make_staff(console_server, Role.OPERATOR), TLS)
    flags = _cookie_flags(answer, "pishkhan_console")
    assert {"secure", "httponly", "samesite=strict", "path=/console"} <= set(flags)


def test_over_plain_http_the_cookies_are_not_secure(console_server: RunningServer) -> None:
    page = requests.get(console_server.url("/console/login"), timeout=30)
    assert "secure" not in _cookie_flags(page, "pishkhan_console_login")
    assert "Strict-Transport-Security" not in page.headers
    answer = _login(console_server, make_staff(console_server, Role.OPERATOR), {})
    assert "secure" not in _cookie_flags(answer, "pishkhan_console")


@pytest.fixture
def untrusting_server(
    console_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A node whose only trusted proxy is elsewhere (TEST-NET-1), not this test."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORWARDED_ALLOW_IPS", "192.0.2.10")
        with start_server(tmp_path_factory.mktemp("untrusting") / "server") as server:
            yield server


def test_the_header_from_an_untrusted_address_changes_nothing(
    untrusting_server: RunningServer,
) -> None:
    page = requests.get(untrusting_server.url("/console/login"), headers=TLS, timeout=30)
    assert "secure" not in _cookie_flags(page, "pishkhan_console_login")
    assert "Strict-Transport-Security" not in page.headers
    answer = _login(untrusting_server, make_staff(untrusting_server, Role.OPERATOR), TLS)
    assert "secure" not in _cookie_flags(answer, "pishkhan_console")
