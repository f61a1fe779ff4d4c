"""The command line, run as administrators run it: the real program on real data folders.

Several command lines share one process where they can (``tests.support.clibatch``: the
real ``main`` each time, stdin not a terminal, outputs captured), so the file stays fast.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
# `init` encrypts the store: the other commands open it with the manager's password.
ENV = {"PISHKHAN_CHEAP_HASHES": "1", "PISHKHAN_PASSWORD": "correct-horse", "PISHKHAN_USER": "modir"}
TRACEBACK = "Traceback (most recent call last)"


def pishkhan(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **ENV, **(env or {})},
        timeout=120,
    )


class Run:
    def __init__(self, result: dict[str, Any]) -> None:
        self.code: int = result["code"]
        self.stdout: str = result["stdout"]
        self.stderr: str = result["stderr"]

    def __repr__(self) -> str:
        return f"Run(code={self.code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


def batch(*cases: dict[str, Any], preexec: Callable[[], None] | None = None) -> list[Run]:
    """Each case: argv (with --data-dir), optional stdin / stdin_hex / env / unset."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.support.clibatch"],
        cwd=ROOT,
        input=json.dumps(list(cases)),
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=300,
        preexec_fn=preexec,
    )
    assert proc.returncode == 0, proc.stderr
    return [Run(r) for r in json.loads(proc.stdout)]


def case(data: Path, *args: str, **extra: Any) -> dict[str, Any]:
    return {"argv": [*args, "--data-dir", str(data)], **extra}


INIT = (
    "init",
    "--office-code",
    "۱۰۰۱",
    "--office-name",
    "دفتر ۱۰۰۱",
    "--counter",
    "2",
    "--manager",
    "modir",
    "--manager-name",
    "مدیر",
)


@pytest.fixture
def office(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    res = pishkhan(data, *INIT)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["office_code"] == "1001"
    return data


def readme_request() -> dict[str, Any]:
    """The add-request example of the README, as printed there."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"```json\n(\{\"service\".*?)```", text, re.S)
    assert match, "the README has no add-request example"
    doc: dict[str, Any] = json.loads(match.group(1))
    return doc


GOOD = readme_request()
BILL = {
    **GOOD,
    "service": "bill_payment",
    "answers": {
        "bill_type": "water",
        "bill_id": 123456,
        "payment_id": "7654321",
        "amount": 2500000,
    },
    "documents": [],
}


def test_add_request_validates_like_the_form_and_the_readme_example_runs(office: Path) -> None:
    incomplete = {**GOOD, "answers": {"purpose": "employment"}, "documents": []}
    bad_code = {**GOOD, "applicant": {**GOOD["applicant"], "national_code": "1111111111"}}
    runs = batch(
        case(office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(incomplete)),
        case(
            office,
            "add-request",
            "-",
            "--clerk",
            "modir",
            "--lang",
            "en",
            stdin=json.dumps(bad_code),
        ),
        case(office, "add-request", "-", "--clerk", "modir", stdin="{not json"),
        case(office, "add-request", "-", "--clerk", "ghost", stdin=json.dumps(GOOD)),
        case(office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(GOOD)),
        case(office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(BILL)),
    )
    assert runs[0].code == 2 and "documents" in runs[0].stderr and "answers." in runs[0].stderr
    assert runs[1].code == 2 and "applicant.national_code" in runs[1].stderr
    assert runs[2].code == 2 and "JSON" in runs[2].stderr
    assert runs[3].code == 2 and "ghost" in runs[3].stderr
    assert runs[4].code == 0, runs[4]
    assert json.loads(runs[4].stdout)["reference"] == "1001-2-000001"
    bill = json.loads(runs[5].stdout)  # the bill's amount is paid with the fees, apart
    assert bill["collected"] == 2_500_000 and bill["total"] == bill["total_fee"] + 2_500_000
    assert all(TRACEBACK not in r.stderr for r in runs)


def test_bad_input_is_refused_with_its_reason_and_exit_2(office: Path, tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(json.dumps(GOOD, ensure_ascii=False).encode("utf-16"))
    answers = dict(GOOD["answers"])

    def with_(**changes: Any) -> str:
        return json.dumps({**GOOD, **changes}, ensure_ascii=False)

    add = ("add-request", "-", "--clerk", "modir", "--lang", "en")
    runs = batch(
        case(office, "add-request", str(latin1), "--clerk", "modir", "--lang", "en"),
        case(office, "add-request", str(tmp_path / "missing.json"), "--clerk", "modir"),
        case(office, *add, stdin=with_(applicant=["a", "b"])),
        case(office, *add, stdin=with_(answers={**answers, "father_name": {"x": 1}})),
        case(office, *add, stdin=with_(applicant={**GOOD["applicant"], "first_name": "عل\x00ی"})),
        case(office, *add, stdin=with_(documents=["national_card", "x" * 5_000_000])),
        case(office, *add, stdin=with_(answers={**answers, "colour": "red"})),
        case(office, *add, stdin="[" * 100_000),
        case(office, *add, stdin=json.dumps(["not", "an", "object"])),
        case(office, *add, stdin=with_(servise="typo")),
        case(office, *add, stdin=with_(documents="national_card", card_ref={"n": 1})),
        case(office, "list", "--json"),
    )
    reasons = [
        "not UTF-8",
        "missing.json",
        "applicant: must be a JSON object",
        "answers.father_name:",
        "applicant.first_name: This text holds an invisible control character",
        "documents: Documents this service does not define",
        "answers: The form has fields this service does not define: colour",
        "nested too deeply",
        "A request is a JSON object",
        "Unknown keys: servise",
        "card_ref",
    ]
    for run, reason in zip(runs, reasons, strict=False):
        assert run.code == 2, (reason, run)
        assert reason in run.stderr, (reason, run)
        assert TRACEBACK not in run.stderr
    assert len(runs[5].stderr) < 1000  # the 5 MB key is not echoed back
    assert "documents:" in runs[10].stderr
    assert json.loads(runs[-1].stdout) == []  # nothing was stored


def test_only_init_creates_a_store(tmp_path: Path) -> None:
    typo = tmp_path / "typo"
    runs = batch(
        *(
            case(typo, *command, "--lang", "en")
            for command in (
                ("list",),
                ("status",),
                ("doctor",),
                ("sync", "--once"),
                ("add-request", "-", "--clerk", "modir"),
                ("export-day", "--date", "1405/09/07", "--out", str(tmp_path / "d.csv")),
                ("import-catalog", str(tmp_path / "c.json")),
            )
        )
    )
    for run in runs:
        assert run.code == 2, run
        assert f"No Pishkhan data in {typo}" in run.stderr, run
    assert not typo.exists()


def test_init_is_all_or_nothing_and_doctor_sees_half_set_up_pcs(tmp_path: Path) -> None:
    from desktop.db.engine import Store
    from desktop.office import initialise

    data = tmp_path / "data"
    half = tmp_path / "half"
    store = Store.open(half)  # what an older program left: office and PC, no manager
    initialise(store, office_code="1001", office_name="دفتر", counter_no=2)
    store.close()
    runs = batch(
        case(data, *INIT, env={"PISHKHAN_PASSWORD": "short"}),
        case(data, *INIT, "--lang", "en", unset=["PISHKHAN_PASSWORD"]),
        case(
            data,
            "init",
            "--office-code",
            "x1",
            "--office-name",
            " ",
            "--counter",
            "100",
            "--manager",
            "a b",
            "--manager-name",
            "",
            "--lang",
            "en",
        ),
        case(half, "doctor", "--json"),
        case(half, *INIT[:2], "1002", *INIT[3:], "--lang", "en"),
        case(half, *INIT),
        case(half, "doctor"),
        case(data, *INIT),
        case(data, *INIT),
        case(data, "doctor", "--lang", "en"),
    )
    short, no_password, every_problem, half_doctor, other_office, finish, fixed = runs[:7]
    assert short.code == 2 and "۸" in short.stderr
    assert no_password.code == 2 and "PISHKHAN_PASSWORD" in no_password.stderr
    assert every_problem.code == 2
    for option in ("--office-code", "--office-name", "--counter", "--manager", "--manager-name"):
        assert f"{option}:" in every_problem.stderr
    assert TRACEBACK not in no_password.stderr + every_problem.stderr
    assert half_doctor.code == 1
    problems = [p["code"] for p in json.loads(half_doctor.stdout)["problems"]]
    assert problems == ["no_manager", "no_catalog"]
    assert other_office.code == 2 and "office 1001, counter 2" in other_office.stderr
    assert finish.code == 0, finish
    assert fixed.code == 0 and "مشکلی پیدا نشد" in fixed.stdout
    made, again, doctor = runs[7:]
    assert made.code == 0 and json.loads(made.stdout)["manager"] == "modir"
    assert again.code == 1 and "قبلاً راه‌اندازی" in again.stderr
    assert doctor.code == 0 and "No problem found." in doctor.stdout
    assert "{" not in doctor.stdout  # lines for people, not a Python dict


def test_doctor_names_the_half_states(office: Path) -> None:
    from desktop.db.driver import connect
    from desktop.keyslots_setup import data_key_for

    key = data_key_for(office, username="modir", password=ENV["PISHKHAN_PASSWORD"])
    assert key is not None  # `init` encrypted it
    db = connect(office / "pishkhan.sqlite3", key=key)
    with db:
        db.execute("UPDATE devices SET enrolled_at = '2026-12-01T10:00:00.000000Z'")
        db.execute("DELETE FROM catalog_versions")
    db.close()
    (office / "settings.json").write_text("{damaged", encoding="utf-8")
    (run,) = batch(case(office, "doctor", "--json"))
    assert run.code == 1
    codes = {p["code"] for p in json.loads(run.stdout)["problems"]}
    assert codes == {
        "settings_unreadable",
        "no_catalog",
        "enrolled_without_server",
        "enrolled_without_token",
    }


def test_times_and_words_follow_lang(office: Path) -> None:
    runs = batch(
        case(office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(GOOD)),
        case(office, "list", "--lang", "fa"),
        case(office, "status", "--lang", "fa"),
        case(office, "doctor", "--lang", "fa"),
        case(office, "list", "--lang", "en"),
        case(office, "list", "--json"),
    )
    assert runs[0].code == 0
    jalali_fa = re.compile(r"۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2} [۰-۹]{2}:[۰-۹]{2}")
    for run in runs[1:4]:
        assert run.code == 0, run
        assert jalali_fa.search(run.stdout), run.stdout
        assert not re.search(r"20[0-9]{2}-[0-9]{2}", run.stdout)  # no Gregorian UTC
    assert "در صف ارسال" in runs[1].stdout and "۱۰۰۱-۲-۰۰۰۰۰۱" in runs[1].stdout
    assert "در انتظار ارسال: ۱" in runs[2].stdout
    assert re.search(r"14\d\d/\d\d/\d\d \d\d:\d\d", runs[4].stdout) and "Queued" in runs[4].stdout
    assert json.loads(runs[5].stdout)[0]["created_at"].startswith("20")  # JSON: ISO UTC


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_enrol_failure_uses_the_enrolment_words(office: Path) -> None:
    from desktop.synccli import ENROL_UNREACHABLE

    url = f"http://127.0.0.1:{_closed_port()}"
    runs = batch(
        case(office, "enrol", "--server", url, "--code", "ABCD-1234", "--lang", "en"),
        case(office, "enrol", "--server", "ftp://x", "--code", "ABCD", "--lang", "en"),
    )
    assert runs[0].code == 2 and runs[0].stderr.strip() == ENROL_UNREACHABLE.en
    assert "queued" not in runs[0].stderr
    assert runs[1].code == 2 and "https://" in runs[1].stderr


def test_help_describes_options_and_exit_codes(tmp_path: Path) -> None:
    runs = batch(
        {"argv": ["init", "--help"]},
        {"argv": ["add-request", "--help"]},
        {"argv": ["--help"]},
    )
    init_help = runs[0].stdout
    assert runs[0].code == 0
    assert "office's code" in init_help and "counter (باجه) number" in init_help
    for run in runs:
        assert "exit codes:" in run.stdout and "2   bad input" in run.stdout
    assert "an empty folder needs --demo" in " ".join(runs[2].stdout.split())
    server = subprocess.run(
        [sys.executable, "-m", "server", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert server.returncode == 0
    assert not re.search(r"``|\*\*|:func:|<[a-z]+>", server.stdout), server.stdout


def test_export_day_writes_the_days_csv(office: Path, tmp_path: Path) -> None:
    import datetime as dt

    import jdatetime

    from desktop.clock import TEHRAN

    today = jdatetime.date.fromgregorian(date=dt.datetime.now(TEHRAN).date())
    out = tmp_path / "day.csv"
    runs = batch(
        case(office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(GOOD)),
        case(office, "export-day", "--date", today.strftime("%Y/%m/%d"), "--out", str(out)),
        case(office, "export-day", "--date", "1403/12/31", "--out", str(out)),
        case(office, "export-day", "--date", "1405/09/07", "--out", str(tmp_path / "no/d.csv")),
    )
    assert runs[0].code == 0 and runs[1].code == 0, runs
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads Persian only with the BOM
    assert "criminal_record" in data.decode("utf-8-sig")
    assert runs[2].code == 2  # Esfand never has a 31st day: refused with the reason
    assert runs[3].code == 2 and "no" in runs[3].stderr


def test_bad_options_and_paths_elsewhere_are_reasons_too(office: Path, tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder", encoding="utf-8")
    bad_catalog = tmp_path / "catalog.json"
    bad_catalog.write_text('{"version": 2, "services": []}', encoding="utf-8")
    runs = batch(
        case(a_file, *INIT, "--lang", "en"),
        case(office, "enrol", "--server", "https://x", "--code", "C", "--ca-bundle", "/nope"),
        case(office, "sync", "--loop", "--interval", "-1"),
        case(office, "list", "--limit", "0"),
        case(office, "list", "--state", "lost"),
        case(office, "import-catalog", str(bad_catalog), "--lang", "en"),
        case(office, "export-day", "--date", "1405/09/07", "--clerk", "ghost", "--out", "x.csv"),
    )
    assert runs[0].code == 2 and "is a file, not a folder" in runs[0].stderr
    assert runs[1].code == 2 and "/nope" in runs[1].stderr
    for run in runs[2:5]:  # argparse names the option and the allowed values
        assert run.code == 2 and "error:" in run.stderr, run
    assert runs[5].code == 2 and "published_at" in runs[5].stderr
    assert runs[6].code == 2 and "ghost" in runs[6].stderr
    assert all(TRACEBACK not in r.stderr for r in runs)


def _no_byte_can_be_written() -> None:
    """In the child: every file write fails (EFBIG), as on a failing disk (a full one is
    tests/core/test_full_disk.py's, on a real tmpfs)."""
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))


@pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")
def test_a_disk_that_fails_every_write_is_told_and_doctor_still_reports(office: Path) -> None:
    runs = batch(
        case(office, "doctor", "--json"),
        case(office, "list", "--lang", "en"),
        case(office, "status", "--lang", "en"),
        case(
            office, "add-request", "-", "--clerk", "modir", "--lang", "en", stdin=json.dumps(GOOD)
        ),
        preexec=_no_byte_can_be_written,
    )
    doctor, listing, status, add = runs
    assert doctor.code == 1, doctor
    report = json.loads(doctor.stdout)
    assert "database_unopenable" in {p["code"] for p in report["problems"]}
    assert report["integrity"] == "ok" and report["requests"] == 0  # read-only, still told
    for run in (listing, status, add):  # a disk that fails with room left: not "full"
        assert run.code == 1 and "disk failed" in run.stderr, run
    assert all(TRACEBACK not in r.stderr for r in runs)
