"""Logging set-up: named loggers per area, rotating files in the data folder."""

from __future__ import annotations

import logging
import os
from io import TextIOWrapper
from pathlib import Path

from desktop.private import private_dir, private_file

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"
MAX_BYTES = 2_000_000
BACKUPS = 5


class SizeRotatingFileHandler(logging.FileHandler):
    """``pishkhan.log`` → ``.1`` … ``.N`` when it grows past ``max_bytes``.

    What the standard library's ``RotatingFileHandler`` does, kept here because its module
    (``logging.handlers``, with sockets, pickle and queues for its other handlers) costs
    ~20 ms of every start before the login window, a sixth of the whole budget.
    """

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        super().__init__(path, mode="a", encoding="utf-8")
        self.max_bytes = max_bytes
        self.backups = backups

    def _open(self) -> TextIOWrapper:
        private_file(Path(self.baseFilename))  # 0600 before the stream opens it
        return super()._open()

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        try:
            if self.stream is not None and self.stream.tell() >= self.max_bytes:
                self._roll_over()
        except OSError:
            self.handleError(record)

    def _roll_over(self) -> None:
        if self.stream is not None:
            self.stream.close()
        base = self.baseFilename
        for n in range(self.backups - 1, 0, -1):
            if os.path.exists(f"{base}.{n}"):
                os.replace(f"{base}.{n}", f"{base}.{n + 1}")
        os.replace(base, f"{base}.1")
        self.stream = self._open()


def setup_logging(data_dir: Path, *, level: int = logging.INFO, console: bool = False) -> Path:
    """Send ``pishkhan.*`` logs to ``data_dir/logs/pishkhan.log`` (rotated, 5 × 2 MB kept)."""
    private_dir(data_dir)
    log_dir = private_dir(data_dir / "logs")
    path = log_dir / "pishkhan.log"
    root = logging.getLogger("pishkhan")
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_pishkhan", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = SizeRotatingFileHandler(path, max_bytes=MAX_BYTES, backups=BACKUPS)
    file_handler.setFormatter(logging.Formatter(FORMAT))
    file_handler._pishkhan = True  # type: ignore[attr-defined]
    root.addHandler(file_handler)
    if console:
        stream = logging.StreamHandler()
        stream.setFormatter(logging.Formatter(FORMAT))
        stream._pishkhan = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    return path


def close_logging() -> None:
    """Close our log files (a temporary data folder can then be removed, also on Windows)."""
    root = logging.getLogger("pishkhan")
    for handler in list(root.handlers):
        if getattr(handler, "_pishkhan", False):
            root.removeHandler(handler)
            handler.close()
