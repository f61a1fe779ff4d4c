"""Bad and hostile input to the console answers a page with a reason and a 4xx, never a
5xx or a traceback, on SQLite and PostgreSQL: NUL characters, lone surrogates, bytes that
are not UTF-8, over-long values, malformed ids and pages, unknown states."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.console.models import Role
from tests.console.conftest import ConsoleClient, logged_in, make_staff
from tests.support.server import (
    RunningServer,
    postgres_base_url,
    postgres_schema_url,
    sample_item,
    start_server,
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def any_server(
    request: pytest.FixtureRequest,
    console_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp(f"hostile-{request.param}") / "server"
    if request.param == "sqlite":
        with start_server(data_dir) as server:
            yield server
        return
    base = postgres_base_url()
    assert base is not None
    with postgres_schema_url(base) as url, start_server(data_dir, database_url=url) as server:
        yield server


def _no_5xx(answer: object) -> None:
    status = answer.status_code  # type: ignore[attr-defined]
    text = answer.text  # type: ignore[attr-defined]
    assert status < 500, text[:500]
    assert "Traceback" not in text


def test_hostile_queries_paths_and_forms(any_server: RunningServer) -> None:
    admin = logged_in(any_server, make_staff(any_server, Role.ADMINISTRATOR))
    office = any_server.add_office()
    item = sample_item(office.code, 1)
    assert any_server.push(any_server.enrol(office.code), [item]).ok
    nasty = ["\x00", "a\x00b", "'; DROP TABLE requests; --", "۱" * 5000, "%", "\\"]
    for value in nasty:
        for name in ("q", "office", "province", "service", "state", "from", "to", "before"):
            answer = admin.http.get(admin.url("/console/inbox"), params={name: value}, timeout=30)
            _no_5xx(answer)
        for path in ("/console/offices/", "/console/requests/", "/console/devices/"):
            _no_5xx(admin.get(path + value.replace("/", "")))
    # A lone surrogate (U+D800 as UTF-8 bytes) and overlong bytes, as raw URLs.
    for raw in ("%ED%A0%80", "%C0%80", "%FF"):
        _no_5xx(admin.get(f"/console/inbox?q={raw}&office={raw}&from={raw}"))
        _no_5xx(admin.get(f"/console/requests/{raw}"))
        _no_5xx(admin.get(f"/console/offices/{raw}"))
    assert admin.get("/console/inbox", params={"before": "x"}).status_code == 422
    assert admin.get("/console/inbox", params={"state": "lost"}).status_code == 422
    assert admin.get("/console/requests/not-a-uuid").status_code == 404
    csrf = admin.csrf()
    decide = f"/console/requests/{item['id']}/decide"
    not_utf8 = admin.http.post(
        admin.url(decide),
        data=b"state=rejected&reason_fa=%FF%FE&csrf=" + csrf.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
        timeout=30,
    )
    _no_5xx(not_utf8)
    raw_bytes = admin.http.post(
        admin.url(decide),
        data=b"\xff\xfe\x00state=rejected",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
        timeout=30,
    )
    assert raw_bytes.status_code in (400, 403)
    _no_5xx(raw_bytes)
    for form in (
        {"state": "bogus"},
        {"state": "rejected", "reason_fa": "x" * 3000},
        {"state": "rejected", "reason_fa": "\x00\x00"},
        {"state": "needs_correction", "reason_fa": "دلیل\x00", "reason_en": "\x00"},
    ):
        answer = admin.post(decide, form, csrf=csrf)
        _no_5xx(answer)
    for path, form in (
        (f"/console/offices/{office.code}/enrolment-code", {"ttl_hours": "nan"}),
        (f"/console/offices/{office.code}/enrolment-code", {"ttl_hours": "1e309"}),
        (f"/console/offices/{office.code}/province", {"province": "\x00"}),
        ("/console/catalog/check", {"document": "[" * 100_000}),
        ("/console/catalog/check", {"document": '{"services": "\x00"}'}),
        ("/console/staff", {"username": "\x00", "role": "reviewer", "password": "x"}),
        ("/console/staff/99999999999/active", {"active": "yes"}),
        ("/console/inbox/decide", [("id", "x")] * 300),
    ):
        _no_5xx(admin.post(path, form, csrf=csrf))
    big = admin.post("/console/catalog/check", {"document": "x" * (5 * 1024 * 1024)}, csrf=csrf)
    assert big.status_code == 413
    surrogate = admin.http.post(
        admin.url(decide),
        data=b"state=needs_correction&reason_fa=%ED%A0%80&csrf=" + csrf.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        allow_redirects=False,
        timeout=30,
    )
    _no_5xx(surrogate)
    login = ConsoleClient(any_server.base_url)
    _no_5xx(login.login("\x00", "\x00"))
