"""A program bundle as files: its manifest, a full archive, a patch between two bundles.

The manifest lists every file of a bundle folder with its size, SHA-256 and whether it is
executable (symbolic links with their target). It travels inside both kinds of archive, and
a folder rebuilt from an archive is checked against it file by file before it is used.

- A **full archive** (``.tar.xz``) holds the manifest and every file.
- A **patch** (``.tar.xz``) holds the new manifest and, for each file that changed, a
  bsdiff4 patch against the installed file of the same path (or the whole file when it is
  new or the patch would not be smaller). Unchanged files are not in it: they are copied
  from the installed folder and checked against the new manifest's hash like the others.

Per file rather than one bsdiff of a whole tar: bsdiff's suffix sort takes memory and time
that grow with the input (a 140 MB tar would need gigabytes), while the bundle's largest file
is a few tens of megabytes, and most files do not change between two builds at all.
Deterministic archives (sorted, zero times and owners) so that publishing twice gives the
same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import lzma
import os
import shutil
import stat
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import bsdiff4

MANIFEST_NAME = "MANIFEST.json"
FILES_PREFIX = "files/"
PATCH_PREFIX = "patch/"
_READ_BYTES = 1024 * 1024


class ArchiveError(Exception):
    """An archive or a rebuilt folder does not match its manifest (bug or tampering)."""


@dataclass(frozen=True)
class Entry:
    path: str  # POSIX, relative to the bundle folder
    size: int
    sha256: str
    executable: bool = False
    link: str | None = None  # symbolic link target (size and hash then describe the text)

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "size": self.size,
            "sha256": self.sha256,
            "executable": self.executable,
        }
        if self.link is not None:
            data["link"] = self.link
        return data


@dataclass(frozen=True)
class Manifest:
    version: str
    entries: dict[str, Entry]

    def to_bytes(self) -> bytes:
        body = {
            "version": self.version,
            "files": {p: e.to_json() for p, e in sorted(self.entries.items())},
        }
        return json.dumps(body, sort_keys=True, indent=1).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            entries = {}
            for path, item in body["files"].items():
                entries[_safe_path(path)] = Entry(
                    path=path,
                    size=int(item["size"]),
                    sha256=str(item["sha256"]),
                    executable=bool(item.get("executable", False)),
                    link=item.get("link"),
                )
            return cls(version=str(body["version"]), entries=entries)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ArchiveError(f"unreadable manifest: {exc}") from exc


def _safe_path(path: str) -> str:
    """``path`` if it stays inside the bundle folder; an archive naming ``../x`` is refused."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise ArchiveError(f"path outside the bundle: {path!r}")
    return pure.as_posix()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_READ_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _walk(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        base = Path(dirpath)
        for name in sorted(filenames):
            yield base / name
        # A symbolic link to a folder is listed among dirnames: keep it as a link entry.
        for name in list(dirnames):
            if (base / name).is_symlink():
                dirnames.remove(name)
                yield base / name


def make_manifest(folder: Path, version: str) -> Manifest:
    """The manifest of a bundle folder as it is on disk."""
    entries: dict[str, Entry] = {}
    for path in _walk(folder):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink():
            target = os.readlink(path)
            data = target.encode("utf-8")
            entries[rel] = Entry(rel, len(data), hashlib.sha256(data).hexdigest(), link=target)
            continue
        mode = path.stat().st_mode
        entries[rel] = Entry(
            rel, path.stat().st_size, _sha256_file(path), executable=bool(mode & stat.S_IXUSR)
        )
    return Manifest(version=version, entries=entries)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _add_file(tar: tarfile.TarFile, name: str, path: Path) -> None:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mode = 0o644
    with path.open("rb") as f:
        tar.addfile(info, f)


@contextlib.contextmanager
def _xz_tar(out: Path, preset: int) -> Iterator[tarfile.TarFile]:
    with (
        lzma.open(out, "wb", preset=preset) as xz,
        tarfile.open(fileobj=xz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        yield tar


def write_full(folder: Path, version: str, out: Path, *, preset: int = 6) -> Manifest:
    """Writes the full archive of ``folder`` to ``out``; returns its manifest.

    ``preset`` is xz's level (6, its default, for releases; tests use 1 to save CPU).
    """
    manifest = make_manifest(folder, version)
    with _xz_tar(out, preset) as tar:
        _add_bytes(tar, MANIFEST_NAME, manifest.to_bytes())
        for rel, entry in sorted(manifest.entries.items()):
            if entry.link is None:
                _add_file(tar, FILES_PREFIX + rel, folder / rel)
    return manifest


def write_patch(
    old: Path, old_version: str, new: Path, new_version: str, out: Path, *, preset: int = 6
) -> Manifest:
    """Writes the patch that turns bundle ``old`` into bundle ``new``; returns new's manifest."""
    before = make_manifest(old, old_version)
    after = make_manifest(new, new_version)
    with _xz_tar(out, preset) as tar:
        _add_bytes(tar, MANIFEST_NAME, after.to_bytes())
        for rel, entry in sorted(after.entries.items()):
            if entry.link is not None:
                continue
            previous = before.entries.get(rel)
            if previous is not None and previous.sha256 == entry.sha256:
                continue  # copied from the installed folder
            if previous is not None and previous.link is None:
                diff = bsdiff4.diff((old / rel).read_bytes(), (new / rel).read_bytes())
                if len(diff) < entry.size:
                    _add_bytes(tar, PATCH_PREFIX + rel, diff)
                    continue
            _add_file(tar, FILES_PREFIX + rel, new / rel)
    return after


def read_manifest(archive: Path) -> Manifest:
    with tarfile.open(archive, "r:xz") as tar:
        member = tar.next()
        if member is None or member.name != MANIFEST_NAME:
            raise ArchiveError("the archive does not start with its manifest")
        f = tar.extractfile(member)
        assert f is not None
        return Manifest.from_bytes(f.read())


def rebuild(archive: Path, installed: Path | None, dest: Path, *, version: str) -> Manifest:
    """Rebuilds the bundle of ``archive`` into the new folder ``dest`` and checks every file.

    ``installed`` is the folder a patch applies to (None for a full archive). ``dest`` must
    not exist. Raises ArchiveError if anything does not match the manifest.
    """
    dest.mkdir(parents=True)
    with tarfile.open(archive, "r:xz") as tar:
        first = tar.next()
        if first is None or first.name != MANIFEST_NAME:
            raise ArchiveError("the archive does not start with its manifest")
        f = tar.extractfile(first)
        assert f is not None
        manifest = Manifest.from_bytes(f.read())
        if manifest.version != version:
            raise ArchiveError(f"archive of {manifest.version}, expected {version}")
        written: set[str] = set()
        # tar.next(), not `for member in tar`: iterating starts again at the manifest.
        while (member := tar.next()) is not None:
            if not member.isfile():
                raise ArchiveError(f"unexpected member {member.name!r}")
            if member.name.startswith(FILES_PREFIX):
                rel, patched = _safe_path(member.name[len(FILES_PREFIX) :]), False
            elif member.name.startswith(PATCH_PREFIX):
                rel, patched = _safe_path(member.name[len(PATCH_PREFIX) :]), True
            else:
                raise ArchiveError(f"unexpected member {member.name!r}")
            if rel not in manifest.entries or rel in written:
                raise ArchiveError(f"{rel!r} is not in the manifest")
            src = tar.extractfile(member)
            assert src is not None
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if patched:
                if installed is None or not (installed / rel).is_file():
                    raise ArchiveError(f"a patch for {rel!r}, which is not installed")
                data = bsdiff4.patch((installed / rel).read_bytes(), src.read())
                target.write_bytes(data)
            else:
                with target.open("wb") as out:
                    shutil.copyfileobj(src, out, _READ_BYTES)
            written.add(rel)
    for rel, entry in manifest.entries.items():
        target = dest / rel
        if entry.link is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(entry.link, target)
            continue
        if rel not in written:
            if installed is None or not (installed / rel).is_file():
                raise ArchiveError(f"{rel!r} is neither in the archive nor installed")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(installed / rel, target)
        if entry.executable:
            target.chmod(0o755)
    verify(dest, manifest)
    return manifest


def verify(folder: Path, manifest: Manifest) -> None:
    """Raises ArchiveError unless ``folder`` holds exactly the manifest's files."""
    found = make_manifest(folder, manifest.version)
    if set(found.entries) != set(manifest.entries):
        extra = sorted(set(found.entries) ^ set(manifest.entries))[:5]
        raise ArchiveError(f"files differ from the manifest: {extra}")
    for rel, entry in manifest.entries.items():
        got = found.entries[rel]
        if (got.size, got.sha256, got.link) != (entry.size, entry.sha256, entry.link):
            raise ArchiveError(f"{rel!r} does not match the manifest")
