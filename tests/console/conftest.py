"""Fixtures of the console tests: one real server process (SQLite) for the module, staff
accounts made in its database, and a logged-in browser-less client (``requests``) that
keeps cookies and CSRF tokens as a browser would.

Password hashing is made cheap and the lockout short through the console's environment
settings, which the server process inherits.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from server.console.accounts import create_account
from server.console.models import Role
from server.console.settings import ConsoleSettings
from server.context import utc_now
from server.db import make_engine
from tests.support.server import RunningServer, start_server

CHEAP_ENV = {
    "PISHKHAN_CONSOLE_ARGON2_TIME_COST": "1",
    "PISHKHAN_CONSOLE_ARGON2_MEMORY_KIB": "1024",
    "PISHKHAN_CONSOLE_LOCKOUT_FAILURES": "3",
}
PASSWORD = "a long enough pass"
_META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]*)">')
_FORM_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture(scope="module")
def console_env() -> Iterator[dict[str, str]]:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in CHEAP_ENV.items():
            patch.setenv(name, value)
        yield CHEAP_ENV


@pytest.fixture(scope="module")
def console_server(
    console_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    with start_server(tmp_path_factory.mktemp("console") / "server") as server:
        yield server


def make_staff(
    server: RunningServer,
    role: Role = Role.REVIEWER,
    *,
    services: tuple[str, ...] = (),
    provinces: tuple[str, ...] = (),
    offices: tuple[str, ...] = (),
) -> str:
    """A new account in the server's database; its user name (password ``PASSWORD``)."""
    username = f"{role.value[:5]}-{uuid.uuid4().hex[:8]}"
    engine = make_engine(server.database_url)
    try:
        create_account(
            engine,
            ConsoleSettings.from_env(),
            username=username,
            password=PASSWORD,
            role=role,
            services=services,
            provinces=provinces,
            offices=offices,
            now=utc_now(),
        )
    finally:
        engine.dispose()
    return username


@dataclass
class ConsoleClient:
    """A browser without a screen: cookies, the login form's token, each page's CSRF."""

    base_url: str
    http: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        return self.base_url + path

    def get(self, path: str, **kwargs: object) -> requests.Response:
        return self.http.get(self.url(path), timeout=30, allow_redirects=False, **kwargs)  # type: ignore[arg-type]

    def login(self, username: str, password: str = PASSWORD) -> requests.Response:
        page = self.get("/console/login")
        token = _FORM_CSRF.search(page.text)
        assert token is not None, page.text
        return self.http.post(
            self.url("/console/login"),
            data={"csrf": token[1], "username": username, "password": password, "next": ""},
            timeout=30,
            allow_redirects=False,
        )

    def csrf(self, path: str = "/console/inbox") -> str:
        page = self.get(path)
        found = _META_CSRF.search(page.text)
        assert found is not None and found[1], page.text
        return found[1]

    def post(
        self, path: str, data: dict[str, str] | list[tuple[str, str]], *, csrf: str | None = None
    ) -> requests.Response:
        pairs = list(data.items()) if isinstance(data, dict) else list(data)
        if csrf is not None:
            pairs.append(("csrf", csrf))
        return self.http.post(self.url(path), data=pairs, timeout=30, allow_redirects=False)

    @property
    def session_cookie(self) -> str | None:
        return self.http.cookies.get("pishkhan_console")


def logged_in(server: RunningServer, username: str) -> ConsoleClient:
    client = ConsoleClient(server.base_url)
    answer = client.login(username)
    assert answer.status_code == 303, answer.text
    return client


def database_of(server: RunningServer) -> Path:
    return Path(server.database_url.removeprefix("sqlite:///"))
