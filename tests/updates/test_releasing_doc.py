"""The release manager's steps in docs/PACKAGING.md ("Releasing") are commands that exist:
every ``python -m updates`` line there is run in the order written (keys, a repository,
release N, then N+1 with its patch, the daily refresh, a key change, the root check) on
real folders, and every ``python -m server serve`` line parses with the server's own
options. A step renamed in the code and not in the page fails here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from server.cli import build_parser
from sync.protocol import TIME_PATTERN
from updates.__main__ import main as updates_main

ROOT = Path(__file__).resolve().parents[2]


def _releasing_commands() -> list[str]:
    page = (ROOT / "docs" / "PACKAGING.md").read_text(encoding="utf-8")
    section = page.split("## Releasing", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, flags=re.S)
    lines = [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


def _bundle(folder: Path, version: str) -> None:
    """A bundle-shaped folder whose console program says its version, as the real one."""
    (folder / "_internal").mkdir(parents=True, exist_ok=True)
    lib = bytearray(__import__("random").Random(3).randbytes(200_000))
    lib[1000:1010] = version.encode().ljust(10)
    (folder / "_internal" / "lib.so").write_bytes(bytes(lib))
    console = folder / "pishkhan-console"
    console.write_text(f'#!/bin/sh\necho "Pishkhan {version}"\n')
    console.chmod(0o755)


def test_every_updates_step_of_the_page_runs_in_its_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = [c for c in _releasing_commands() if c.startswith("python -m updates ")]
    steps = [shlex.split(c)[3] for c in commands]
    assert steps == ["keys", "init", "check-root", "publish", "refresh", "rotate", "check-root"]
    monkeypatch.chdir(tmp_path)  # F, N, R and dist/pishkhan as written, relative here
    _bundle(tmp_path / "dist" / "pishkhan", "1.0.0")
    published = 0
    for command in commands:
        argv = shlex.split(command)[3:]
        if argv[0] == "publish" and published == 0:
            # The page's one publish line, run for release N and again for N+1.
            assert updates_main(argv) == 0, capsys.readouterr().err
            published += 1
            _bundle(tmp_path / "dist" / "pishkhan", "1.1.0")
        assert updates_main(argv) == 0, (command, capsys.readouterr().err)
    out = capsys.readouterr().out
    assert "published 1.0.0: full" in out
    assert re.search(r"published 1\.1\.0: full \d+ B, patch \d+ B", out)
    assert "root version 2" in out  # the key change's root passed the release check


def test_every_server_line_of_the_page_parses() -> None:
    commands = [c for c in _releasing_commands() if c.startswith("python -m server ")]
    assert len(commands) == 2
    parser = build_parser()
    parsed = [
        parser.parse_args([a for a in shlex.split(command)[3:] if a != "..."])
        for command in commands
    ]
    assert [args.command for args in parsed] == ["serve", "serve"]
    assert str(parsed[0].updates_dir) == "R"
    assert parsed[1].minimum_version == "1.1.0"
    # The form the page insists on: a full time with its zone, as the protocol's type.
    assert re.match(TIME_PATTERN, parsed[1].minimum_version_after)
