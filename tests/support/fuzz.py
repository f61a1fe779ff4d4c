"""Schema-driven fuzzing of the central server: schemathesis against its live OpenAPI.

``fuzz(server, ...)`` enrols a device of its own, then runs the schemathesis command line
against ``/openapi.json`` with a fixed seed: every phase (the schema's examples, coverage
of its bounds, random fuzzing, and stateful sequences that follow the document's links:
add an office → an enrolment code → enrol → push → changes), checking that nothing
answers 5xx and that every answer is one the document promises (status, content type,
schema, headers) and that data the schema refuses is refused. The hooks that hand out the
tokens are tests/support/fuzz_hooks.py. Used bounded by the suite
(tests/server/test_fuzz.py) and longer by ``python -m bench fuzz``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.server import ROOT, RunningServer

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
)
PHASES = ("examples", "coverage", "fuzzing", "stateful")


@dataclass
class FuzzRun:
    returncode: int
    seconds: float
    output: str
    cases: int
    operations: int

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _schemathesis() -> str:
    return str(Path(sys.executable).with_name("schemathesis"))


def fuzz(
    server: RunningServer,
    work_dir: Path,
    *,
    max_examples: int,
    seed: int = 1405,
    phases: tuple[str, ...] = PHASES,
    max_time: float | None = None,
) -> FuzzRun:
    office = server.add_office()
    device = server.enrol(office.code, counter_no=1)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCHEMATHESIS_HOOKS": "tests.support.fuzz_hooks",
        "PISHKHAN_FUZZ_ADMIN_TOKEN": server.admin_token,
        "PISHKHAN_FUZZ_DEVICE_ID": device.device_id,
        "PISHKHAN_FUZZ_DEVICE_TOKEN": device.token,
        "NO_COLOR": "1",
    }
    work_dir.mkdir(parents=True, exist_ok=True)
    command = [
        _schemathesis(),
        "run",
        server.url("/openapi.json"),
        "--url",
        server.base_url,
        "--seed",
        str(seed),
        "--max-examples",
        str(max_examples),
        "--phases",
        ",".join(phases),
        "--checks",
        ",".join(CHECKS),
        "--workers",
        "1",
        "--continue-on-failure",
        "--generation-deterministic",
        # Hypothesis's "data generation is too slow" check times the fuzzer, not the
        # server: the full run (bench fuzz) failed it on PostgreSQL at load average 12.
        "--suppress-health-check",
        "too_slow",
        "--request-timeout",
        "30",
        "--report-dir",
        str(work_dir),
    ]
    if max_time is not None:
        command += ["--max-time", str(max_time)]
    started = time.monotonic()
    proc = subprocess.run(
        command, cwd=work_dir, env=env, capture_output=True, text=True, timeout=1800
    )
    output = proc.stdout + proc.stderr
    cases = sum(int(n) for n in re.findall(r"(\d+) (?:test cases|cases)", output)[:1] or [0])
    operations = len(set(re.findall(r"(?:POST|GET) /v1/\S+", output)))
    return FuzzRun(proc.returncode, time.monotonic() - started, output, cases, operations)
