"""The publishing side: TUF metadata and targets for the program's releases.

The repository folder (``repo/metadata``, ``repo/targets``) is what the central server or
any static mirror serves; it holds no private key. Keys are PEM files in two folders:

- the **offline** folder (``root.pem``, ``targets.pem``): kept off the server, on a
  removable disk in the centre's safe; needed to publish a release or to change keys;
- the **online** folder (``snapshot.pem``, ``timestamp.pem``): on the publishing machine;
  these roles expire within days (timestamp one day), so a mirror that stops receiving
  releases (freeze) is noticed, and ``python -m updates refresh`` renews them on a timer.

Consistent snapshots: every metadata file is written under its version and every target
under its hash, so a mirror in the middle of an upload never serves a mix of two releases
under one name, and a client that fetched one timestamp reads exactly the files it names.

Each release adds three targets: the full archive, a patch from the previous release, and
``releases.json`` (which release is the latest and where its archives are), so the client
learns what to download from a signed file, never from a name on the mirror.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import (
    Metadata,
    MetaFile,
    Root,
    Snapshot,
    TargetFile,
    Targets,
    Timestamp,
)
from tuf.api.serialization.json import JSONSerializer

from rules.versions import parse_version
from updates import archive

OFFLINE_ROLES = ("root", "targets")
ONLINE_ROLES = ("snapshot", "timestamp")
RELEASES_TARGET = "releases.json"

EXPIRY = {
    "root": dt.timedelta(days=365),
    "targets": dt.timedelta(days=90),
    "snapshot": dt.timedelta(days=7),
    "timestamp": dt.timedelta(days=1),
}


class PublishError(Exception):
    """Publishing cannot go on (missing key, version not newer, ...)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def generate_keys(offline_dir: Path, online_dir: Path) -> None:
    """New ed25519 keys for the four roles; refuses to overwrite existing ones."""
    for folder, roles in ((offline_dir, OFFLINE_ROLES), (online_dir, ONLINE_ROLES)):
        folder.mkdir(parents=True, exist_ok=True)
        for role in roles:
            path = folder / f"{role}.pem"
            if path.exists():
                raise PublishError(f"{path} exists: keys are never replaced silently")
            signer = CryptoSigner.generate_ed25519()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(signer.private_bytes)


def load_signer(folder: Path, role: str) -> CryptoSigner:
    path = folder / f"{role}.pem"
    if not path.is_file():
        raise PublishError(f"no key for the {role} role in {folder}")
    return CryptoSigner(load_pem_private_key(path.read_bytes(), password=None))


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class Repository:
    """One repository folder, with the folders of the keys it may use."""

    repo_dir: Path
    offline_dir: Path | None
    online_dir: Path
    xz_preset: int = 6  # archives' compression level (tests use 1 to save CPU)

    @property
    def metadata_dir(self) -> Path:
        return self.repo_dir / "metadata"

    @property
    def targets_dir(self) -> Path:
        return self.repo_dir / "targets"

    # -- reading -------------------------------------------------------------------

    def _latest(self, role: str) -> Metadata:
        if role == "timestamp":
            return Metadata.from_file(str(self.metadata_dir / "timestamp.json"))
        versions = [int(p.name.split(".", 1)[0]) for p in self.metadata_dir.glob(f"*.{role}.json")]
        if not versions:
            raise PublishError(f"the repository has no {role} metadata yet: run init")
        return Metadata.from_file(str(self.metadata_dir / f"{max(versions)}.{role}.json"))

    def releases(self) -> dict[str, object]:
        targets = self._latest("targets").signed
        info = targets.targets.get(RELEASES_TARGET)
        if info is None:
            return {"latest": None, "releases": {}}
        data = (self.targets_dir / f"{info.hashes['sha256']}.{RELEASES_TARGET}").read_bytes()
        loaded: dict[str, object] = json.loads(data)
        return loaded

    # -- writing -------------------------------------------------------------------

    def _offline(self, role: str) -> CryptoSigner:
        if self.offline_dir is None:
            raise PublishError("this step needs the offline keys (--offline-keys)")
        return load_signer(self.offline_dir, role)

    def _write(self, md: Metadata, signer: CryptoSigner) -> bytes:
        md.signatures.clear()
        md.sign(signer)
        data = md.to_bytes(JSONSerializer(compact=False))
        role = md.signed.type
        name = "timestamp.json" if role == "timestamp" else f"{md.signed.version}.{role}.json"
        _write_atomic(self.metadata_dir / name, data)
        return data

    def init(self, *, now: dt.datetime | None = None) -> None:
        """Root (version 1) naming the four keys, and empty targets, snapshot, timestamp."""
        now = now or _now()
        if (self.metadata_dir / "1.root.json").exists():
            raise PublishError(f"{self.repo_dir} is already a repository")
        signers = {r: self._offline(r) for r in OFFLINE_ROLES}
        signers |= {r: load_signer(self.online_dir, r) for r in ONLINE_ROLES}
        root = Root(expires=now + EXPIRY["root"], consistent_snapshot=True)
        for role, signer in signers.items():
            root.add_key(signer.public_key, role)
        root_md = Metadata(root)
        self._write(root_md, signers["root"])
        targets_md = Metadata(Targets(expires=now + EXPIRY["targets"]))
        self._write(targets_md, signers["targets"])
        self._snapshot_and_timestamp(targets_md.signed.version, now=now)

    def _snapshot_and_timestamp(
        self,
        targets_version: int | None,
        *,
        now: dt.datetime,
        timestamp_expires: dt.datetime | None = None,
    ) -> None:
        try:
            previous = self._latest("snapshot").signed
            version = previous.version + 1
            meta = dict(previous.meta)
        except PublishError:
            version, meta = 1, {}
        if targets_version is not None:
            meta["targets.json"] = MetaFile(version=targets_version)
        snapshot = Snapshot(version=version, expires=now + EXPIRY["snapshot"], meta=meta)
        self._write(Metadata(snapshot), load_signer(self.online_dir, "snapshot"))
        ts_path = self.metadata_dir / "timestamp.json"
        ts_version = self._latest("timestamp").signed.version + 1 if ts_path.exists() else 1
        timestamp = Timestamp(
            version=ts_version,
            expires=timestamp_expires or now + EXPIRY["timestamp"],
            snapshot_meta=MetaFile(version=version),
        )
        self._write(Metadata(timestamp), load_signer(self.online_dir, "timestamp"))

    def refresh(
        self, *, now: dt.datetime | None = None, timestamp_expires: dt.datetime | None = None
    ) -> None:
        """New snapshot and timestamp with the online keys only (run on a timer)."""
        self._snapshot_and_timestamp(None, now=now or _now(), timestamp_expires=timestamp_expires)

    def _add_target(self, targets: Targets, name: str, path: Path, custom: dict[str, str]) -> None:
        info = TargetFile.from_file(name, str(path), ["sha256"])
        info.unrecognized_fields["custom"] = custom
        targets.targets[name] = info
        dest = self.targets_dir / f"{info.hashes['sha256']}.{name}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)

    def publish(
        self,
        bundle: Path,
        version: str,
        *,
        now: dt.datetime | None = None,
        work_dir: Path | None = None,
    ) -> dict[str, int]:
        """Signs and publishes ``bundle`` as ``version``: full archive, patch, releases.json.

        Returns the sizes of what was added (``full``, and ``patch`` when there was a
        previous release).
        """
        now = now or _now()
        releases = self.releases()
        latest = releases.get("latest")
        if latest is not None and parse_version(version) <= parse_version(str(latest)):
            raise PublishError(f"{version} is not newer than the published {latest}")
        targets_md = self._latest("targets")
        targets: Targets = targets_md.signed
        sizes: dict[str, int] = {}
        entries: dict[str, object] = dict(releases.get("releases", {}))  # type: ignore[call-overload]
        with tempfile.TemporaryDirectory(dir=work_dir) as tmp_name:
            tmp = Path(tmp_name)
            full_name = f"pishkhan-{version}.tar.xz"
            archive.write_full(bundle, version, tmp / full_name, preset=self.xz_preset)
            self._add_target(targets, full_name, tmp / full_name, {"version": version})
            sizes["full"] = (tmp / full_name).stat().st_size
            release: dict[str, object] = {"full": full_name, "patches": {}}
            if latest is not None:
                # The previous bundle, rebuilt from its own signed full archive.
                old_full = str(entries[str(latest)]["full"])  # type: ignore[index]
                old_info = targets.targets[old_full]
                old_archive = self.targets_dir / f"{old_info.hashes['sha256']}.{old_full}"
                old_dir = tmp / "previous"
                archive.rebuild(old_archive, None, old_dir, version=str(latest))
                patch_name = f"pishkhan-{latest}-to-{version}.patch.tar.xz"
                archive.write_patch(
                    old_dir, str(latest), bundle, version, tmp / patch_name, preset=self.xz_preset
                )
                custom = {"version": version, "from": str(latest)}
                self._add_target(targets, patch_name, tmp / patch_name, custom)
                sizes["patch"] = (tmp / patch_name).stat().st_size
                release["patches"] = {str(latest): patch_name}
            entries[version] = release
            listing = {"latest": version, "releases": entries}
            (tmp / RELEASES_TARGET).write_bytes(json.dumps(listing, sort_keys=True).encode())
            self._add_target(targets, RELEASES_TARGET, tmp / RELEASES_TARGET, {})
        targets.version += 1
        targets.expires = now + EXPIRY["targets"]
        self._write(targets_md, self._offline("targets"))
        self._snapshot_and_timestamp(targets.version, now=now)
        return sizes

    def rotate(self, role: str, *, now: dt.datetime | None = None) -> str:
        """A new key for ``role`` (a stolen or leaving online key, a scheduled change):
        the next root version names it in place of the old one, signed with the root key
        (both root keys when the root's own key changes, so that PCs trusting the old root
        accept the new one), and the role's metadata is signed again with the new key.
        PCs pick the new root up at their next check; what the old key signs from then on
        is refused. The old key file is kept as ``<role>.pem.retired-<time>`` (delete it
        once no one needs it). Returns the new key's id."""
        now = now or _now()
        if role not in OFFLINE_ROLES + ONLINE_ROLES:
            raise PublishError(
                f"no role {role!r}: one of {', '.join(OFFLINE_ROLES + ONLINE_ROLES)}"
            )
        folder = self.online_dir if role in ONLINE_ROLES else self.offline_dir
        root_signer = self._offline("root")
        assert folder is not None  # the offline folder was needed for the root key above
        root_md = self._latest("root")
        root: Root = root_md.signed
        new = CryptoSigner.generate_ed25519()
        for keyid in list(root.roles[role].keyids):
            root.revoke_key(keyid, role)
        root.add_key(new.public_key, role)
        root.version += 1
        root.expires = now + EXPIRY["root"]
        root_md.signatures.clear()
        root_md.sign(root_signer, append=True)
        if role == "root":
            root_md.sign(new, append=True)
        # The new key is on disk before the root that names it is published.
        path = folder / f"{role}.pem"
        incoming = folder / f"{role}.pem.new"
        fd = os.open(incoming, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(new.private_bytes)
        _write_atomic(
            self.metadata_dir / f"{root.version}.root.json",
            root_md.to_bytes(JSONSerializer(compact=False)),
        )
        os.replace(path, folder / f"{role}.pem.retired-{now:%Y%m%dT%H%M%SZ}")
        os.replace(incoming, path)
        targets_version = None
        if role == "targets":
            targets_md = self._latest("targets")
            targets_md.signed.version += 1
            targets_md.signed.expires = now + EXPIRY["targets"]
            self._write(targets_md, self._offline("targets"))
            targets_version = targets_md.signed.version
        self._snapshot_and_timestamp(targets_version, now=now)
        return str(new.public_key.keyid)

    def trusted_root(self) -> bytes:
        """The root metadata a new installation ships with (its anchor of trust)."""
        return (self.metadata_dir / "1.root.json").read_bytes()
