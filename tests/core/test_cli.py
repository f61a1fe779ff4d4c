"""The command line, run as administrators run it: a real process on a real data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pishkhan(
    data_dir: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PISHKHAN_CHEAP_HASHES": "1", "PISHKHAN_PASSWORD": "correct-horse"}
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args, "--data-dir", str(data_dir)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def office(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    res = pishkhan(
        data,
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
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["office_code"] == "1001"
    return data


GOOD = {
    "service": "criminal_record",
    "applicant": {
        "national_code": "۰۰۱۳۵۴۲۴۱۹",
        "first_name": "علي",
        "last_name": "كريمي",
        "mobile": "00989121234567",
    },
}


def _complete(data: Path) -> dict[str, object]:
    """A valid JSON request for the demo catalogue's service, built from its definition."""
    import random

    from desktop.samples import sample_draft
    from rules.catalog import demo_catalog_path, load_catalog_file

    service = load_catalog_file(demo_catalog_path()).service(GOOD["service"])  # type: ignore[arg-type]
    draft = sample_draft(service, random.Random(5))
    return {
        **GOOD,
        "answers": dict(draft.answers),
        "documents": list(draft.documents),
        "card_ref": "123456789012",
    }


def test_add_request_validates_like_the_form(office: Path) -> None:
    res = pishkhan(office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(GOOD))
    assert res.returncode == 2
    assert "documents" in res.stderr and "answers." in res.stderr
    bad = {**_complete(office), "applicant": {**GOOD["applicant"], "national_code": "1111111111"}}
    res = pishkhan(
        office, "add-request", "-", "--clerk", "modir", "--lang", "en", stdin=json.dumps(bad)
    )
    assert res.returncode == 2 and "applicant.national_code" in res.stderr
    res = pishkhan(office, "add-request", "-", "--clerk", "modir", stdin="{not json")
    assert res.returncode == 2 and "JSON" in res.stderr
    res = pishkhan(
        office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(_complete(office))
    )
    assert res.returncode == 0, res.stderr
    saved = json.loads(res.stdout)
    assert saved["reference"] == "1001-2-000001"


def test_list_and_doctor(office: Path) -> None:
    for _ in range(3):
        res = pishkhan(
            office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(_complete(office))
        )
        assert res.returncode == 0, res.stderr
    res = pishkhan(office, "list", "--json", "--search", "۰۰۱۳۵۴۲۴۱۹")
    rows = json.loads(res.stdout)
    assert len(rows) == 3 and {r["state"] for r in rows} == {"queued"}
    res = pishkhan(office, "doctor", "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    report = json.loads(res.stdout)
    assert report["integrity"] == "ok" and report["waiting"] == 3 and report["problems"] == []


def test_unknown_clerk_is_a_clear_error(office: Path) -> None:
    res = pishkhan(
        office, "add-request", "-", "--clerk", "ghost", stdin=json.dumps(_complete(office))
    )
    assert res.returncode == 1 and "ghost" in res.stderr


def test_export_day_writes_the_days_csv(office: Path, tmp_path: Path) -> None:
    import datetime as dt

    import jdatetime

    from desktop.clock import TEHRAN

    res = pishkhan(
        office, "add-request", "-", "--clerk", "modir", stdin=json.dumps(_complete(office))
    )
    assert res.returncode == 0, res.stderr
    today = jdatetime.date.fromgregorian(date=dt.datetime.now(TEHRAN).date())
    out = tmp_path / "day.csv"
    res = pishkhan(office, "export-day", "--date", today.strftime("%Y/%m/%d"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads Persian only with the BOM
    assert "criminal_record" in data.decode("utf-8-sig") or "سوء" in data.decode("utf-8-sig")
    res = pishkhan(office, "export-day", "--date", "1403/12/31", "--out", str(out))
    assert res.returncode == 2  # Esfand never has a 31st day: refused with the reason
