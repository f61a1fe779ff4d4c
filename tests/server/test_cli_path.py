"""The admin command line's start (issue 14): an admin command imports neither the web
stack nor Alembic when the database is at the newest migration, and still migrates one that
is behind; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from server.db import alembic_config, make_engine
from server.prepare import prepare_database, schema_is_current, script_head
from tests.support.server import ROOT, RunningServer, sample_item

HEAVY = ("fastapi", "starlette", "pydantic", "uvicorn", "jinja2", "alembic", "pygments")

# Runs one admin command in a fresh interpreter, then says which heavy packages it loaded.
_PROBE = """
import json, sys
from server.cli import main
code = main(sys.argv[1:])
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(json.loads(HEAVY)))
print(json.dumps({"code": code, "heavy": heavy}))
"""


def _run_admin(*args: str) -> tuple[dict[str, object], list[str]]:
    """The probe's verdict, and the lines the command printed before it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.replace("HEAVY", repr(json.dumps(HEAVY))), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    *printed, verdict = done.stdout.strip().splitlines()
    return json.loads(verdict), printed


def test_script_head_is_alembics_head() -> None:
    assert [script_head()] == ScriptDirectory.from_config(alembic_config()).get_heads()


def test_set_status_imports_no_web_stack(server: RunningServer) -> None:
    device = server.enrol(server.add_office().code)
    item = sample_item(device.office_code, 1)
    assert server.push(device, [item]).json()["results"][0]["status"] == "accepted"
    url = server.database_url
    result, printed = _run_admin("set-status", item["id"], "accepted", "--database-url", url)
    assert result == {"code": 0, "heavy": []}
    change = json.loads(printed[-1])
    assert (change["request_id"], change["state"]) == (item["id"], "accepted")


def test_a_database_behind_is_still_migrated(database_url: str) -> None:
    engine: Engine = make_engine(database_url)
    try:
        assert not schema_is_current(engine)  # empty: no alembic_version at all
        prepare_database(engine)
        assert schema_is_current(engine)
        # One revision behind: the check sees it, and preparing goes through Alembic again.
        parent = ScriptDirectory.from_config(alembic_config()).get_revision(script_head())
        assert parent is not None and isinstance(parent.down_revision, str)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": parent.down_revision}
            )
        assert not schema_is_current(engine)
    finally:
        engine.dispose()


def test_other_admin_commands_start_light_too(server: RunningServer) -> None:
    result, printed = _run_admin("stuck-offices", "--json", "--database-url", server.database_url)
    assert result == {"code": 0, "heavy": []}
    assert isinstance(json.loads("\n".join(printed)), list)
