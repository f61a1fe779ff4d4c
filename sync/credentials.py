"""Where this PC keeps its device token.

The OS credential store (Windows Credential Manager, macOS Keychain, Secret Service)
through ``keyring`` wherever it has a usable backend; otherwise a file in the data folder
readable by the user only (0600), which is what a Linux build machine or a service
account without a session keyring gets. The token is a secret: it is never logged, and
``repr`` of a store never shows it.

``PISHKHAN_CREDENTIALS=file`` forces the file (tests, and installations that want the
token next to the data, e.g. a PC whose keyring is wiped at logout).
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path
from typing import Protocol

log = logging.getLogger("pishkhan.sync")

SERVICE_NAME = "Pishkhan device token"
TOKEN_FILE = "device-token"
ENV_BACKEND = "PISHKHAN_CREDENTIALS"


class CredentialStore(Protocol):
    def get(self) -> str | None: ...

    def set(self, token: str) -> None: ...

    def delete(self) -> None: ...

    @property
    def kind(self) -> str: ...


class FileCredentials:
    """The token in ``data_dir/device-token``, mode 0600, written atomically."""

    kind = "file"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / TOKEN_FILE

    def __repr__(self) -> str:
        return f"FileCredentials({str(self.path)!r})"

    def get(self) -> str | None:
        try:
            token = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return token or None

    def set(self, token: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".token-", dir=self.path.parent)
        try:
            # mkstemp creates the file 0600 already; chmod again for filesystems that differ.
            os.chmod(tmp, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(token)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


class KeyringCredentials:
    """The token in the OS credential store, one entry per device id."""

    kind = "keyring"

    def __init__(self, account: str) -> None:
        self.account = account

    def __repr__(self) -> str:
        return f"KeyringCredentials({self.account!r})"

    def get(self) -> str | None:
        import keyring

        return keyring.get_password(SERVICE_NAME, self.account) or None

    def set(self, token: str) -> None:
        import keyring

        keyring.set_password(SERVICE_NAME, self.account, token)

    def delete(self) -> None:
        import keyring
        from keyring.errors import PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError):
            keyring.delete_password(SERVICE_NAME, self.account)


def keyring_usable() -> bool:
    """True when ``keyring`` has a real backend (not the fail/null ones, not "chainer" of none)."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # keyring not installed, or its import broke on this system
        return False
    try:
        backend = keyring.get_keyring()
    except Exception:
        return False
    if isinstance(backend, fail.Keyring):
        return False
    name = type(backend).__module__ + "." + type(backend).__name__
    if "null" in name.lower():
        return False
    try:
        priority = float(getattr(backend, "priority", 0))
    except Exception:
        priority = 0.0
    if priority <= 0:
        return False
    backends = getattr(backend, "backends", None)  # the chainer: usable only with members
    return backends is None or len(backends) > 0


def credential_store(data_dir: Path, account: str) -> CredentialStore:
    """The store for this installation: keyring when usable, else the 0600 file.

    A token already in the file is read from there even when a keyring appears later,
    so an installation never loses its token to a change of backend.
    """
    file_store = FileCredentials(data_dir)
    choice = os.environ.get(ENV_BACKEND, "").strip().lower()
    if choice == "file" or file_store.path.exists():
        return file_store
    if choice == "keyring" or keyring_usable():
        return KeyringCredentials(account)
    log.info("no usable OS credential store; the device token is kept in a 0600 file")
    return file_store
