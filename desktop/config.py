"""Where the data lives and the program's settings, each declared once.

Settings are a small JSON file in the data folder (not the database: the
program must be able to read its language and server address even when the
database refuses to open). Writes are atomic (temp file, fsync, replace).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

APP_NAME = "Pishkhan"
ENV_DATA_DIR = "PISHKHAN_DATA_DIR"
SETTINGS_FILE = "settings.json"
SETTINGS_VERSION = 1


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """``--data-dir`` wins, then ``PISHKHAN_DATA_DIR``, then the per-user data folder."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser().resolve()
    import platformdirs  # only for the per-user default (not with --data-dir)

    return Path(platformdirs.user_data_dir(APP_NAME, APP_NAME, roaming=False))


@dataclass(frozen=True)
class Setting:
    name: str
    type: type
    default: Any
    description: str


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting("language", str, "fa", "Language of the program: fa or en"),
        Setting("server_url", str, "", "Central server address (set by enrolment)"),
        Setting("ca_bundle", str, "", "Custom CA bundle file for the central server's TLS"),
        Setting(
            "allow_insecure_http",
            bool,
            False,
            "Allow an http:// central server that is not this PC (set by enrol"
            " --allow-insecure-http; the token then crosses the network in clear)",
        ),
        Setting(
            "update_url",
            str,
            "",
            "Where the signed updates are (empty: the central server's /updates)",
        ),
        Setting("sync_interval_seconds", int, 60, "Seconds between automatic sync rounds"),
        Setting("lockout_attempts", int, 5, "Failed logins before an account is locked"),
        Setting("lockout_minutes", int, 5, "Minutes an account stays locked"),
        Setting("receipt_layout", str, "80mm", "Receipt layout: 80mm or a5"),
        Setting("printer_name", str, "", "Receipt printer (empty: the system default)"),
        Setting(
            "receipt_print",
            str,
            "preview",
            "Ctrl+P: preview (the receipt on screen, Enter prints it), direct (straight to"
            " the printer) or dialog (the system's print dialog first)",
        ),
        Setting(
            "scan_folder",
            str,
            "",
            "The folder the scanner's software saves into: new files there appear in the"
            " form's documents area (empty: none watched)",
        ),
        Setting(
            "last_service",
            str,
            "",
            "The service of the last request saved here: chosen when the form opens",
        ),
        Setting(
            "window_placement",
            str,
            "",
            "The main window's last size and place (written by the program; JSON)",
        ),
    )
}


class Settings:
    """Typed access to the settings file; unknown keys are kept, bad values fall back."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SETTINGS_FILE
        self._values: dict[str, Any] = {}
        if self.path.exists():
            try:
                loaded = json.loads(self.path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self._values = loaded
            except (OSError, ValueError):
                # A damaged settings file must not keep the program from starting.
                self._values = {}
        self._values.setdefault("version", SETTINGS_VERSION)

    def get(self, name: str) -> Any:
        setting = SETTINGS[name]
        value = self._values.get(name, setting.default)
        if not isinstance(value, setting.type):
            return setting.default
        return value

    def set(self, name: str, value: Any) -> None:
        setting = SETTINGS[name]
        if not isinstance(value, setting.type):
            raise TypeError(f"setting {name} takes {setting.type.__name__}")
        self._values[name] = value
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._values, fh, ensure_ascii=False, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
