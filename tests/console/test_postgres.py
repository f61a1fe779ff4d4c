"""The console on PostgreSQL (the production database): the national-code search through
its expression index, a reviewer's province wall, and the per-address throttle of failed
logins (this module's server allows 4)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from server.console.models import Role
from tests.console.conftest import ConsoleClient, logged_in, make_staff
from tests.support.server import (
    RunningServer,
    postgres_base_url,
    postgres_schema_url,
    sample_item,
    start_server,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_console(
    console_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    base = postgres_base_url()
    assert base is not None
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PISHKHAN_CONSOLE_LOGIN_FAILURES_BURST", "4")
        with (
            postgres_schema_url(base) as url,
            start_server(tmp_path_factory.mktemp("pg") / "server", database_url=url) as server,
        ):
            yield server


def test_search_and_scope_on_postgres(pg_console: RunningServer) -> None:
    admin = logged_in(pg_console, make_staff(pg_console, Role.ADMINISTRATOR))
    items = {}
    for province in ("tehran", "kerman"):
        office = pg_console.add_office()
        answer = admin.post(
            f"/console/offices/{office.code}/province",
            {"province": province},
            csrf=admin.csrf(f"/console/offices/{office.code}"),
        )
        assert answer.status_code == 303
        item = sample_item(office.code, 1)
        assert pg_console.push(pg_console.enrol(office.code), [item]).ok
        items[province] = item
    reviewer = logged_in(pg_console, make_staff(pg_console, provinces=("tehran",)))
    mine, theirs = items["tehran"], items["kerman"]
    code = str(mine["applicant"]["national_code"])  # type: ignore[index]
    persian = code.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    found = reviewer.get("/console/inbox", params={"q": persian}).text
    assert str(mine["id"]) in found
    hidden = reviewer.get(
        "/console/inbox",
        params={"q": str(theirs["applicant"]["national_code"])},  # type: ignore[index]
    ).text
    assert str(theirs["id"]) not in hidden
    assert reviewer.get(f"/console/requests/{theirs['id']}").status_code == 404
    assert admin.get(f"/console/requests/{theirs['id']}").status_code == 200
    decided = reviewer.post(
        f"/console/requests/{mine['id']}/decide",
        {"state": "rejected", "reason_fa": "مدارک ناقص است."},
        csrf=reviewer.csrf(),
    )
    assert decided.status_code == 303
    assert "رد شده" in reviewer.get(f"/console/requests/{mine['id']}").text


def test_heartbeats_are_sampled_on_postgres(pg_console: RunningServer) -> None:
    office = pg_console.add_office(name="دفتر ضربان")
    headers = pg_console.enrol(office.code).headers
    for depth in (5, 6):
        beat = {"queue_depth": depth, "oldest_waiting_seconds": 90, "app_version": "0.1.0"}
        assert requests.post(
            pg_console.url("/v1/heartbeat"), json=beat, headers=headers, timeout=30
        ).ok
    operator = logged_in(pg_console, make_staff(pg_console, Role.OPERATOR))
    page = operator.get(f"/console/offices/{office.code}").text
    history = page.split('id="heartbeats"', 1)[1].split("</table>", 1)[0]
    assert history.count("<tr>") == 2 and "<td>۵</td>" in history  # one sample: the first


def test_failed_logins_from_one_address_are_throttled(pg_console: RunningServer) -> None:
    username = make_staff(pg_console)
    client = ConsoleClient(pg_console.base_url)
    for n in range(4):  # unknown names: no account locks, the address's bucket empties
        assert client.login(f"nobody-{n}", "wrong password").status_code == 401
    throttled = client.login(username)
    assert throttled.status_code == 429
    assert "تلاش‌های ناموفق از این نشانی بیش از حد" in throttled.text
    assert client.session_cookie is None
