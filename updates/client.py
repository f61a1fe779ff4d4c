"""The PC's side of an update: a TUF-verified check, a resumable download, the staging.

``UpdateClient.check()`` refreshes the TUF metadata (root, timestamp, snapshot, targets:
signatures, versions, expiry, hashes, all by python-tuf's ``ngclient``) and reads the signed
``releases.json``; it offers the patch from the installed version when there is one, the full
archive otherwise. ``download(offer)`` fetches the offer's target in pieces that resume and
checks its length and hash against the signed targets metadata before anything is done with
it. ``stage(...)`` (``updates.pointer``) unpacks it into a folder of its own.

Every refusal is an ``UpdateRefused`` with a message in Persian and English: tampered
(signature or hash), rollback (older metadata than this PC has seen), freeze (expired), and
mix-and-match (pieces of two releases). The PC keeps running the version it has.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import requests

from rules.errors import UserFacingError
from rules.messages import Message
from rules.versions import is_newer
from updates.download import Progress, TooLong, fetch_resumable

if TYPE_CHECKING:
    from tuf.api.metadata import TargetFile
    from tuf.ngclient import Updater
    from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

# python-tuf (and through it securesystemslib's every signer, cryptography's primitives)
# is imported by the methods that verify, not with this module: the program imports the
# updater with the store, on the worker, while the login window is being painted, and
# an update check runs hours later on the updater's own thread, if at all.

log = logging.getLogger("pishkhan.updates")

TAMPERED = Message(
    fa="به‌روزرسانی رد شد: پرونده‌ای که رسید با امضای مرکز نمی‌خواند (دستکاری‌شده یا خراب).",
    en="Update refused: a file that arrived does not match the centre's signature "
    "(tampered with or damaged).",
)
ROLLBACK = Message(
    fa="به‌روزرسانی رد شد: اطلاعاتی قدیمی‌تر از آنچه این رایانه پیش‌تر دیده بود به‌جای تازه "
    "فرستاده شد.",
    en="Update refused: update information older than what this PC has already seen was "
    "offered as new (rollback).",
)
FROZEN = Message(
    fa="به‌روزرسانی رد شد: اطلاعات به‌روزرسانی منقضی شده است؛ سرور یا آینه تازه نشده است.",
    en="Update refused: the update information has expired; the server or mirror has "
    "stopped being refreshed (freeze).",
)
MIXED = Message(
    fa="به‌روزرسانی رد شد: پرونده‌های اطلاعات به‌روزرسانی از دو نسخه‌ی متفاوت‌اند.",
    en="Update refused: the update information mixes files of two different releases.",
)
UNREACHABLE = Message(
    fa="سرور به‌روزرسانی در دسترس نیست؛ بعداً دوباره امتحان می‌شود.",
    en="The update server cannot be reached; it will be tried again later.",
)


class UpdateRefused(UserFacingError):
    """The update was refused for a security reason; ``reason`` names which."""

    def __init__(self, message: Message, reason: str, *, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.reason = reason


class UpdateUnreachable(UserFacingError):
    """The line or the server failed: nothing is wrong with the update, try later."""


@dataclass(frozen=True)
class Offer:
    """A newer release, and which of its archives to download."""

    version: str
    target: TargetFile
    kind: str  # "patch" or "full"
    full: TargetFile  # the fallback when the patch cannot be applied

    @property
    def size(self) -> int:
        return self.target.length


def _remembering_fetcher(remember: Callable[[bytes], None]) -> Urllib3Fetcher:
    """A fetcher that hands the raw bytes of each timestamp fetched to ``remember``: only to
    word a refusal. (A class made at the first check: its base is python-tuf's.)"""
    from tuf.ngclient.urllib3_fetcher import Urllib3Fetcher

    class RememberingFetcher(Urllib3Fetcher):
        def download_bytes(self, url: str, max_length: int) -> bytes:
            data = super().download_bytes(url, max_length)
            if url.endswith("/timestamp.json"):
                remember(data)
            return data

    return RememberingFetcher()


class UpdateClient:
    """One PC's view of the update repository at ``base_url`` (``.../metadata``, ``/targets``)."""

    def __init__(
        self,
        *,
        base_url: str,
        state_dir: Path,
        trusted_root: bytes,
        installed_version: str,
        session: requests.Session | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self.state_dir = state_dir
        self.metadata_dir = state_dir / "metadata"
        self.downloads_dir = state_dir / "downloads"
        self.metadata_dir.mkdir(parents=True, exist_ok=True)
        self.downloads_dir.mkdir(parents=True, exist_ok=True)
        self._trusted_root = trusted_root
        self.installed_version = installed_version
        self._session = session or requests.Session()
        self._fetcher: Urllib3Fetcher | None = None  # made at the first check
        self._last_timestamp: bytes | None = None
        self._updater: Updater | None = None

    def _remember_timestamp(self, data: bytes) -> None:
        self._last_timestamp = data

    def _new_updater(self) -> Updater:
        from tuf.ngclient import Updater

        if self._fetcher is None:
            self._fetcher = _remembering_fetcher(self._remember_timestamp)
        # The first root is the one shipped with the program; later ones are cached by
        # ngclient in metadata_dir once verified (root rotation).
        cached = self.metadata_dir / "root.json"
        bootstrap = None if cached.exists() else self._trusted_root
        return Updater(
            metadata_dir=str(self.metadata_dir),
            metadata_base_url=f"{self._base}/metadata/",
            target_dir=str(self.downloads_dir),
            target_base_url=f"{self._base}/targets/",
            fetcher=self._fetcher,
            bootstrap=bootstrap,
        )

    def _trusted_timestamp_version(self) -> int | None:
        from tuf.api.metadata import Metadata

        path = self.metadata_dir / "timestamp.json"
        if not path.exists():
            return None
        return int(Metadata.from_bytes(path.read_bytes()).signed.version)

    def _refresh(self) -> Updater:
        from tuf.api import exceptions as tuf_errors

        seen = self._trusted_timestamp_version()
        self._last_timestamp = None
        updater = self._new_updater()
        try:
            updater.refresh()
        except tuf_errors.ExpiredMetadataError as exc:
            raise UpdateRefused(FROZEN, "freeze", detail=str(exc)) from exc
        except tuf_errors.BadVersionNumberError as exc:
            raise UpdateRefused(*self._version_refusal(seen), detail=str(exc)) from exc
        except (tuf_errors.UnsignedMetadataError, tuf_errors.LengthOrHashMismatchError) as exc:
            raise UpdateRefused(TAMPERED, "tampered", detail=str(exc)) from exc
        except tuf_errors.RepositoryError as exc:
            raise UpdateRefused(TAMPERED, "tampered", detail=str(exc)) from exc
        except tuf_errors.DownloadError as exc:
            raise UpdateUnreachable(UNREACHABLE, detail=str(exc)) from exc
        self._updater = updater
        return updater

    def _version_refusal(self, seen: int | None) -> tuple[Message, str]:
        """Rollback if the offered timestamp is older than the trusted one; mixed otherwise."""
        offered = None
        if self._last_timestamp is not None:
            try:
                offered = int(json.loads(self._last_timestamp)["signed"]["version"])
            except (ValueError, KeyError, TypeError):
                offered = None
        if seen is not None and offered is not None and offered < seen:
            return ROLLBACK, "rollback"
        return MIXED, "mixed"

    def check(self) -> Offer | None:
        """The newer release to download, or None when the installed one is the latest."""
        from tuf.api import exceptions as tuf_errors

        from updates.repository import RELEASES_TARGET

        updater = self._refresh()
        info = updater.get_targetinfo(RELEASES_TARGET)
        if info is None:
            return None
        path = updater.find_cached_target(info)
        try:
            path = path or updater.download_target(info)
        except tuf_errors.RepositoryError as exc:
            raise UpdateRefused(TAMPERED, "tampered", detail=str(exc)) from exc
        except tuf_errors.DownloadError as exc:
            raise UpdateUnreachable(UNREACHABLE, detail=str(exc)) from exc
        listing = json.loads(Path(path).read_bytes())
        latest = listing.get("latest")
        if latest is None or not is_newer(str(latest), self.installed_version):
            return None
        release = listing["releases"][latest]
        full = updater.get_targetinfo(release["full"])
        if full is None:
            raise UpdateRefused(MIXED, "mixed", detail=f"{release['full']} is not signed")
        patch_name = release.get("patches", {}).get(self.installed_version)
        patch = updater.get_targetinfo(patch_name) if patch_name else None
        if patch is not None and patch.length < full.length:
            return Offer(version=str(latest), target=patch, kind="patch", full=full)
        return Offer(version=str(latest), target=full, kind="full", full=full)

    def target_url(self, target: TargetFile) -> str:
        return f"{self._base}/targets/{target.hashes['sha256']}.{target.path}"

    def download(
        self,
        target: TargetFile,
        *,
        may_continue: Callable[[], bool] = lambda: True,
        on_progress: Callable[[Progress], None] | None = None,
        max_attempts: int = 20,
    ) -> tuple[Path, Progress]:
        """The verified file of ``target`` (Paused/Interrupted leave a part to resume)."""
        from tuf.api import exceptions as tuf_errors

        dest = self.downloads_dir / f"{target.hashes['sha256']}.{target.path}"
        progress = Progress(total=target.length, done=target.length)
        if not dest.exists():
            try:
                progress = fetch_resumable(
                    self._session,
                    self.target_url(target),
                    dest,
                    target.length,
                    may_continue=may_continue,
                    on_progress=on_progress,
                    max_attempts=max_attempts,
                )
            except TooLong as exc:
                raise UpdateRefused(TAMPERED, "tampered", detail=str(exc)) from exc
        try:
            with dest.open("rb") as f:
                target.verify_length_and_hashes(f)
        except tuf_errors.LengthOrHashMismatchError as exc:
            dest.unlink()
            raise UpdateRefused(TAMPERED, "tampered", detail=str(exc)) from exc
        return dest, progress
