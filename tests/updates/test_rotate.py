"""Rotating a key (``python -m updates rotate``): the next root names the new key, PCs that
trust only the root they were installed with follow to it at their next check (real
server, real HTTP), and what the old key signs afterwards is refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root, Timestamp

from tests.updates.conftest import Published
from updates.__main__ import main
from updates.client import UpdateClient, UpdateRefused
from updates.release_root import check_release_root


def _client(published: Published, state: Path) -> UpdateClient:
    return UpdateClient(
        base_url=published.base_url,
        state_dir=state,
        trusted_root=published.repo.trusted_root(),  # the root of version 1, as installed
        installed_version="1.0.0",
    )


def _rotate(published: Published, role: str) -> None:
    repo = published.repo
    assert repo.offline_dir is not None
    argv = ["rotate", "--repo", str(repo.repo_dir), "--offline-keys", str(repo.offline_dir)]
    assert main([*argv, "--online-keys", str(repo.online_dir), "--role", role]) == 0


@pytest.mark.parametrize("role", ["timestamp", "snapshot", "targets", "root"])
def test_after_a_rotation_pcs_follow_the_new_root_and_still_update(
    published: Published, tmp_path: Path, role: str
) -> None:
    client = _client(published, tmp_path / "pc")
    assert client.check() is not None  # trusts the first keys
    old_keys = set(Root.from_dict(_signed(published.repo.trusted_root())).roles[role].keyids)
    _rotate(published, role)
    root_2 = published.repo.metadata_dir / "2.root.json"
    assert check_release_root(root_2).version == 2  # a release may ship the newest root
    new_keys = set(Metadata.from_file(str(root_2)).signed.roles[role].keyids)  # type: ignore[attr-defined]
    assert new_keys and not new_keys & old_keys
    retired = list((published.repo.online_dir.parent).glob(f"*/{role}.pem.retired-*"))
    assert len(retired) == 1
    for pc in (client, _client(published, tmp_path / "new-pc")):  # known, and installed anew
        offer = pc.check()
        assert offer is not None and offer.version == "1.1.0"
    trusted = Metadata.from_file(str(tmp_path / "pc" / "metadata" / "root.json"))
    assert trusted.signed.version == 2


def test_a_timestamp_signed_with_the_retired_key_is_refused(
    published: Published, tmp_path: Path
) -> None:
    client = _client(published, tmp_path / "pc")
    assert client.check() is not None
    _rotate(published, "timestamp")
    assert client.check() is not None
    # Whoever kept the old online key signs a newer timestamp and serves it.
    [retired] = published.repo.online_dir.glob("timestamp.pem.retired-*")
    old = CryptoSigner(load_pem_private_key(retired.read_bytes(), password=None))
    path = published.repo.metadata_dir / "timestamp.json"
    forged = Metadata[Timestamp].from_file(str(path))
    forged.signed.version += 1
    forged.signed.expires = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    forged.signatures.clear()
    forged.sign(old)
    forged.to_file(str(path))
    with pytest.raises(UpdateRefused) as refused:
        client.check()
    assert refused.value.reason == "tampered"


def test_rotating_a_role_that_does_not_exist_says_so(
    published: Published, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = published.repo
    assert repo.offline_dir is not None
    with pytest.raises(SystemExit):  # argparse's own refusal, with the choices
        main(["rotate", "--repo", str(repo.repo_dir), "--offline-keys", str(repo.offline_dir),
              "--online-keys", str(repo.online_dir), "--role", "mirror"])  # fmt: skip
    assert "invalid choice: 'mirror'" in capsys.readouterr().err


def _signed(data: bytes) -> dict[str, object]:
    import json

    signed: dict[str, object] = json.loads(data)["signed"]
    return signed
