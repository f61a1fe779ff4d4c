"""A PC checks a real server's /updates/ and refuses every attack TUF is there for.

Each attack is made on the served repository folder itself, between two checks of one PC,
as a hostile mirror or a man in the middle would serve it.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from tests.updates.conftest import Published, copy_tree, flip_byte
from updates.client import (
    FROZEN,
    MIXED,
    ROLLBACK,
    TAMPERED,
    UpdateClient,
    UpdateRefused,
)
from updates.pointer import READY, Pointer, stage


def _client(published: Published, state: Path, installed: str = "1.0.0") -> UpdateClient:
    return UpdateClient(
        base_url=published.base_url,
        state_dir=state,
        trusted_root=published.repo.trusted_root(),
        installed_version=installed,
    )


def _refusal(client: UpdateClient) -> UpdateRefused:
    with pytest.raises(UpdateRefused) as caught:
        client.check()
    message = caught.value.message
    assert message.fa and message.en  # bilingual, as the clerk sees it
    return caught.value


def test_offer_is_the_patch_and_it_rebuilds_the_new_bundle(
    published: Published, tmp_path: Path
) -> None:
    client = _client(published, tmp_path / "pc")
    offer = client.check()
    assert offer is not None and offer.version == "1.1.0" and offer.kind == "patch"
    assert offer.size < offer.full.length / 3  # only the changed bytes travel
    archive, _ = client.download(offer.target)
    root = copy_tree(published.old, tmp_path / "installed")
    folder = stage(root, archive, version="1.1.0", installed=root)
    assert (folder / "_internal" / "lib" / "libbig.so").read_bytes() == (
        published.new / "_internal" / "lib" / "libbig.so"
    ).read_bytes()
    assert not (folder / "_internal" / "only-in-1.0.0.txt").exists()
    assert Pointer.read(root).pending == "1.1.0" and Pointer.read(root).state == READY
    # The installed version is untouched.
    assert (root / "_internal" / "only-in-1.0.0.txt").exists()


def test_latest_installed_gets_no_offer(published: Published, tmp_path: Path) -> None:
    assert _client(published, tmp_path / "pc", installed="1.1.0").check() is None


def test_unknown_version_gets_the_full_archive(published: Published, tmp_path: Path) -> None:
    offer = _client(published, tmp_path / "pc", installed="0.9.0").check()
    assert offer is not None and offer.kind == "full"


def test_tampered_target_is_refused_and_not_kept(published: Published, tmp_path: Path) -> None:
    client = _client(published, tmp_path / "pc")
    offer = client.check()
    assert offer is not None
    served = published.repo.targets_dir / f"{offer.target.hashes['sha256']}.{offer.target.path}"
    flip_byte(served)
    with pytest.raises(UpdateRefused) as caught:
        client.download(offer.target)
    assert caught.value.reason == "tampered" and caught.value.message == TAMPERED
    assert list(client.downloads_dir.glob("*.patch.tar.xz")) == []


def test_tampered_metadata_is_refused(published: Published, tmp_path: Path) -> None:
    client = _client(published, tmp_path / "pc")
    assert client.check() is not None
    # A new timestamp whose content was changed after signing: its signature no longer holds.
    published.repo.refresh()
    ts = published.repo.metadata_dir / "timestamp.json"
    data = json.loads(ts.read_bytes())
    data["signed"]["expires"] = "2099-01-01T00:00:00Z"
    ts.write_text(json.dumps(data))
    refusal = _refusal(client)
    assert refusal.reason == "tampered" and refusal.message == TAMPERED


def test_rollback_is_refused(published: Published, tmp_path: Path) -> None:
    client = _client(published, tmp_path / "pc")
    ts = published.repo.metadata_dir / "timestamp.json"
    older = ts.read_bytes()
    published.repo.refresh()
    assert client.check() is not None  # the PC has now seen the newer timestamp
    ts.write_bytes(older)  # a mirror serves the older, validly signed one again
    refusal = _refusal(client)
    assert refusal.reason == "rollback" and refusal.message == ROLLBACK


def test_freeze_is_refused(published: Published, tmp_path: Path) -> None:
    client = _client(published, tmp_path / "pc")
    assert client.check() is not None
    # The last timestamp the mirror has, signed properly, but its day is over.
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    published.repo.refresh(timestamp_expires=past)
    refusal = _refusal(client)
    assert refusal.reason == "freeze" and refusal.message == FROZEN


def test_mix_and_match_is_refused(published: Published, tmp_path: Path) -> None:
    meta = published.repo.metadata_dir
    versions = sorted(int(p.name.split(".")[0]) for p in meta.glob("*.targets.json"))
    newest, older = versions[-1], versions[-2]
    # The newest snapshot names targets v<newest>; the mirror serves older targets under it.
    shutil.copyfile(meta / f"{older}.targets.json", meta / f"{newest}.targets.json")
    refusal = _refusal(_client(published, tmp_path / "pc"))
    assert refusal.reason == "mixed" and refusal.message == MIXED


def test_foreign_root_is_refused(published: Published, tmp_path: Path) -> None:
    """A repository signed by other keys than the ones the program shipped with."""
    from tests.updates.conftest import new_repository

    other = new_repository(tmp_path / "other")
    client = UpdateClient(
        base_url=published.base_url,
        state_dir=tmp_path / "pc",
        trusted_root=other.trusted_root(),
        installed_version="1.0.0",
    )
    refusal = _refusal(client)
    assert refusal.reason == "tampered"
