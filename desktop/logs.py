"""Logging set-up: named loggers per area, rotating files in the data folder."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s"


def setup_logging(data_dir: Path, *, level: int = logging.INFO, console: bool = False) -> Path:
    """Send ``pishkhan.*`` logs to ``data_dir/logs/pishkhan.log`` (5 × 2 MB, rotated)."""
    log_dir = data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "pishkhan.log"
    root = logging.getLogger("pishkhan")
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_pishkhan", False):
            root.removeHandler(handler)
            handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
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
