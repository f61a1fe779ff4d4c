"""schemathesis against the live server's OpenAPI, bounded (fixed generation, a few
examples per operation), on SQLite and PostgreSQL: no 5xx, no answer the document does
not promise, no schema-invalid data accepted. The longer run is ``python -m bench fuzz``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fuzz import fuzz
from tests.support.server import (
    RunningServer,
    postgres_base_url,
    postgres_schema_url,
    start_server,
)

pytestmark = pytest.mark.slow
# Fuzzing fails authentication on purpose, often: the budget must not turn it into 429s
# for the fuzz device itself (the throttle has its own test, test_connections.py).
ARGS = ("--auth-failures-burst", "1000000")


@pytest.fixture(params=["sqlite", "postgres"])
def fuzzed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningServer]:
    if request.param == "sqlite":
        with start_server(tmp_path / "server", extra_args=ARGS) as server:
            yield server
        return
    base = postgres_base_url()
    assert base is not None
    with (
        postgres_schema_url(base) as url,
        start_server(tmp_path / "server", database_url=url, extra_args=ARGS) as server,
    ):
        yield server


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    fuzzed: RunningServer, tmp_path: Path
) -> None:
    run = fuzz(fuzzed, tmp_path / "schemathesis", max_examples=8)
    assert run.ok, run.output[-8000:]
    # Every operation the server publishes is fuzzed: none filtered out, none missing.
    published = fuzzed.session.get(fuzzed.url("/openapi.json"), timeout=10).json()["paths"]
    operations = sum(
        1
        for methods in published.values()
        for m in methods
        if m in {"get", "head", "post", "put", "delete", "patch"}
    )
    assert f"{operations} selected / {operations} total" in run.output, run.output[-2000:]
    log = fuzzed.log_text()
    assert "unhandled error" not in log and " 500 " not in log, log[-4000:]
