"""Fixtures for the update tests: keys, a repository, two small bundles, a serving server.

The bundles here are plain folders shaped like the PyInstaller one (an executable, an
``_internal`` folder with libraries and data); test_switch.py builds real frozen bundles.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.server import RunningServer, start_server
from updates.repository import Repository, generate_keys


@dataclass
class Published:
    repo: Repository
    server: RunningServer
    old: Path  # bundle of version 1.0.0
    new: Path  # bundle of version 1.1.0
    name: str  # the repository's folder under the server's /updates/

    @property
    def base_url(self) -> str:
        return self.server.url(f"/updates/{self.name}")


def make_bundle(folder: Path, version: str, *, changed: bytes = b"") -> Path:
    """A bundle-shaped folder: a large 'library' that changes a little between versions."""
    rng = __import__("random").Random(7)  # same base bytes for every version
    lib = bytearray(rng.randbytes(600_000))
    lib[300_000 : 300_000 + len(changed)] = changed
    (folder / "_internal" / "lib").mkdir(parents=True)
    (folder / "_internal" / "lib" / "libbig.so").write_bytes(bytes(lib))
    (folder / "_internal" / "same.dat").write_bytes(rng.randbytes(200_000))
    (folder / "_internal" / f"only-in-{version}.txt").write_text(version)
    exe = folder / "pishkhan"
    exe.write_text(f"#!/bin/sh\necho Pishkhan {version}\n")
    exe.chmod(0o755)
    return folder


def new_repository(tmp: Path) -> Repository:
    generate_keys(tmp / "offline-keys", tmp / "online-keys")
    repo = Repository(tmp / "repo", tmp / "offline-keys", tmp / "online-keys")
    repo.init()
    return repo


@dataclass
class _Pristine:
    tmp: Path  # repo/, offline-keys/, online-keys/, b1/, b2/
    served: Path  # the folder the module's server serves under /updates/
    server: RunningServer


@pytest.fixture(scope="module")
def _pristine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Pristine]:
    """Versions 1.0.0 and 1.1.0 published once per module; one server serves copies of it."""
    tmp = tmp_path_factory.mktemp("published")
    repo = new_repository(tmp)
    repo.publish(make_bundle(tmp / "b1", "1.0.0"), "1.0.0")
    repo.publish(make_bundle(tmp / "b2", "1.1.0", changed=b"new code of 1.1.0" * 20), "1.1.0")
    served = tmp_path_factory.mktemp("served")
    with start_server(tmp / "server", extra_args=("--updates-dir", str(served))) as server:
        yield _Pristine(tmp=tmp, served=served, server=server)


@pytest.fixture
def published(_pristine: _Pristine, request: pytest.FixtureRequest, tmp_path: Path) -> Published:
    """A repository of its own for this test (it may attack it), on the module's server."""
    name = request.node.name
    for part in ("offline-keys", "online-keys", "b1", "b2"):
        shutil.copytree(_pristine.tmp / part, tmp_path / part)
    shutil.copytree(_pristine.tmp / "repo", _pristine.served / name)
    repo = Repository(_pristine.served / name, tmp_path / "offline-keys", tmp_path / "online-keys")
    return Published(
        repo=repo, server=_pristine.server, old=tmp_path / "b1", new=tmp_path / "b2", name=name
    )


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


def flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    os.chmod(path, 0o644)
    path.write_bytes(bytes(data))
