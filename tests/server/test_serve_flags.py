"""The centre's minimum version is checked where it is given (``serve`` flags): the
heartbeat's answer carries it to every PC, and a value a PC's protocol cannot read (a time
without its zone, a version that is not dotted numbers) would break the sync of the whole
fleet. A bad value is refused at start with a message naming the flag."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.cli import build_parser
from tests.support.server import ROOT


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--minimum-version", "1.4"),  # accepted: dotted numbers
        ("--minimum-version", "2.0.10"),
        ("--minimum-version-after", "2027-01-15T00:00:00+03:30"),
        ("--minimum-version-after", "2027-01-15T00:00:00Z"),
    ],
)
def test_good_values_parse_as_given(flag: str, value: str) -> None:
    args = build_parser().parse_args(["serve", flag, value])
    assert getattr(args, flag.lstrip("-").replace("-", "_")) == value


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--minimum-version", "1.4.0-beta"),
        ("--minimum-version", "v1.4"),
        ("--minimum-version", "۱.۴.۰"),  # Persian digits: not what a PC compares
        ("--minimum-version-after", "2027-01-15"),  # no time, no zone
        ("--minimum-version-after", "2027-01-15T00:00:00"),  # no zone
        ("--minimum-version-after", "next week"),
    ],
)
def test_bad_values_are_refused_naming_the_flag(flag: str, value: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server", "serve", flag, value],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    assert flag in done.stderr and repr(value) in done.stderr
    assert "Traceback" not in done.stderr


def test_a_date_without_a_version_is_refused() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "server",
            "serve",
            "--minimum-version-after",
            "2027-01-15T00:00:00Z",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "--minimum-version-after needs --minimum-version" in done.stderr
    assert "Traceback" not in done.stderr
