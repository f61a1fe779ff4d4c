"""What the server keeps: a restart loses nothing, the schema is what the models say, and the
admin commands work as separate processes on the same database."""

from __future__ import annotations

import re
import socket
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from server.cli import bind_socket
from server.cli import main as server_cli
from server.models import Base
from tests.support.server import RunningServer, sample_item


def test_restart_keeps_requests_tokens_cursor_and_sequence(server: RunningServer) -> None:
    office = server.add_office()
    device = server.enrol(office.code)
    items = [sample_item(office.code, seq) for seq in (1, 2, 4)]
    first = server.push(device, items).json()
    assert first["seq_gaps"] == [[3, 3]]
    pages = server.session.get(server.url("/v1/changes"), headers=device.headers, timeout=30)
    assert not pages.json()["more"]
    cursor = pages.json()["cursor"]

    server.restart()

    # The same token still works, and the same cursor carries on where it was.
    again = server.push(device, items).json()
    assert [r["status"] for r in again["results"]] == ["duplicate"] * 3
    assert [r["tracking_code"] for r in again["results"]] == [
        r["tracking_code"] for r in first["results"]
    ]
    assert again["seq_gaps"] == [[3, 3]]
    after = server.session.get(
        server.url("/v1/changes"), params={"cursor": cursor}, headers=device.headers, timeout=30
    ).json()
    assert after["changes"] == [] and after["reset"] is False
    # New tracking numbers never reuse old ones.
    new = server.push(device, [sample_item(office.code, 3)]).json()["results"][0]
    assert new["status"] == "accepted"
    numbers = [int(r["tracking_code"].rsplit("-", 1)[1]) for r in first["results"]]
    assert int(new["tracking_code"].rsplit("-", 1)[1]) > max(numbers)


def test_migrations_create_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert {"requests", "changes", "devices", "alembic_version"} <= set(
        inspect(engine).get_table_names()
    )


def test_admin_commands(
    server: RunningServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command line works on the database directly, while the server runs."""
    office = server.add_office()

    def cli(*args: str) -> int:
        return server_cli([*args, "--database-url", server.database_url])

    # In-process: the same parser and code as `python -m server` (whose entry point every
    # server fixture runs), without paying a Python start-up per command.
    assert cli("enrolment-code", office.code, "--ttl-hours", "2") == 0
    code = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)
    enrolled = server.session.post(
        server.url("/v1/enrol"),
        json={
            "code": code,
            "device_id": str(uuid.uuid4()),
            "office_code": office.code,
            "counter_no": 1,
            "device_name": "PC",
            "app_version": "1",
        },
        timeout=30,
    )
    assert enrolled.status_code == 200

    new_office = f"{office.code}9"
    assert cli("add-office", new_office, "دفتر تازه") == 0
    assert capsys.readouterr().out.strip() == new_office
    assert cli("add-office", new_office, "again") == 1
    assert "already exists" in capsys.readouterr().err
    assert cli("enrolment-code", "no-such-office") == 1
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1}', encoding="utf-8")
    assert cli("publish-catalog", str(bad)) == 1
    assert "catalog" in capsys.readouterr().err
    assert cli("revoke-device", str(uuid.uuid4())) == 1
    assert cli("init-db") == 0


def test_serve_socket_is_tcp_so_asyncio_disables_nagle() -> None:
    with bind_socket("127.0.0.1", 0) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] > 0


# Cutting the server's database connections is a PostgreSQL operation: PostgreSQL only.
@pytest.mark.parametrize("db_kind", ["postgres"], indirect=True)
def test_lost_database_connections_answer_503_then_recover(
    server: RunningServer, db_kind: str
) -> None:
    """PostgreSQL restarted under the server: one 503 (retry later), never a 500, then fine."""
    device = server.enrol(server.add_office().code)
    url = make_url(server.database_url)
    schema = url.query["application_name"]
    admin = create_engine(url.set(query={}), poolclass=NullPool)
    with admin.begin() as conn:
        cut = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": schema},
        ).scalar()
    admin.dispose()
    assert cut
    answers = [
        server.session.get(server.url("/v1/changes"), headers=device.headers, timeout=30)
        for _ in range(3)
    ]
    assert answers[0].status_code == 503
    assert answers[0].json()["error"] == "unavailable"
    assert int(answers[0].headers["Retry-After"]) > 0
    assert answers[-1].status_code == 200
    assert all(a.status_code in (200, 503) for a in answers)
