"""The program's log files: written in the data folder, rotated by size, a fixed number kept."""

from __future__ import annotations

import logging
from pathlib import Path

from desktop.logs import SizeRotatingFileHandler, close_logging, setup_logging


def test_setup_logging_writes_the_data_folders_log(tmp_path: Path) -> None:
    path = setup_logging(tmp_path)
    try:
        logging.getLogger("pishkhan.test").info("سلام — a line in Persian and English")
    finally:
        close_logging()
    assert path == tmp_path / "logs" / "pishkhan.log"
    assert "سلام — a line in Persian and English" in path.read_text(encoding="utf-8")


def test_rotation_keeps_the_newest_lines_and_a_fixed_number_of_files(tmp_path: Path) -> None:
    path = tmp_path / "pishkhan.log"
    handler = SizeRotatingFileHandler(path, max_bytes=1_000, backups=3)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("pishkhan.rotation-test")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        for n in range(400):
            logger.info("line %04d %s", n, "x" * 40)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["pishkhan.log", "pishkhan.log.1", "pishkhan.log.2", "pishkhan.log.3"]
    for name in files:
        assert (tmp_path / name).stat().st_size <= 1_000 + 60  # one line past the limit at most
    # Oldest file first: the lines run on without a gap and end with the newest one.
    lines: list[str] = []
    for name in ("pishkhan.log.3", "pishkhan.log.2", "pishkhan.log.1", "pishkhan.log"):
        lines += (tmp_path / name).read_text(encoding="utf-8").splitlines()
    numbers = [int(line.split()[1]) for line in lines]
    assert numbers == list(range(numbers[0], 400))
    assert numbers[0] > 0  # the oldest lines were rotated away, as they should be
