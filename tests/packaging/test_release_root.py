"""A release build ships the update repository's signed root, checked; a developer's build
says ``--no-updates`` on purpose (issue 16). Real keys and a real repository made by
``python -m updates``, real files, the real ``dev.py`` options and the real build.spec
refusing before its analysis. No full PyInstaller build here."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from securesystemslib.signer import CryptoSigner
from tuf.api.metadata import Metadata, Root

from tests.packaging.support import ROOT
from updates.release_root import RootRefused, check_release_root
from updates.repository import Repository, generate_keys

PY = Path(sys.executable)


def _dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pishkhan_dev", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = _dev()


@pytest.fixture(scope="module")
def repository(tmp_path_factory: pytest.TempPathFactory) -> Repository:
    tmp = tmp_path_factory.mktemp("release-root")
    generate_keys(tmp / "offline-keys", tmp / "online-keys")
    repo = Repository(tmp / "repo", tmp / "offline-keys", tmp / "online-keys")
    repo.init()
    return repo


@pytest.fixture
def good_root(repository: Repository) -> Path:
    return repository.metadata_dir / "1.root.json"


def _rewritten(src: Path, dest: Path, change: object) -> Path:
    data = json.loads(src.read_bytes())
    change(data)  # type: ignore[operator]
    dest.write_text(json.dumps(data))
    return dest


def test_the_repositorys_root_is_one_to_ship(good_root: Path) -> None:
    checked = check_release_root(good_root)
    assert checked.version == 1
    assert checked.keys == {"root": 1, "targets": 1, "snapshot": 1, "timestamp": 1}
    assert checked.expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=300)
    proc = subprocess.run(
        [PY, "-m", "updates", "check-root", good_root], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, proc.stderr
    assert "root version 1" in proc.stdout and checked.sha256 in proc.stdout


def test_a_root_changed_after_signing_is_refused(good_root: Path, tmp_path: Path) -> None:
    def later(data: dict) -> None:  # type: ignore[type-arg]
        data["signed"]["expires"] = "2099-01-01T00:00:00Z"

    with pytest.raises(RootRefused) as refused:
        check_release_root(_rewritten(good_root, tmp_path / "root.json", later))
    assert "0 valid signature(s) of the 1" in refused.value.message.en
    assert "امضای کافی" in refused.value.message.fa


def test_an_unsigned_root_is_refused(good_root: Path, tmp_path: Path) -> None:
    def unsigned(data: dict) -> None:  # type: ignore[type-arg]
        data["signatures"] = []

    with pytest.raises(RootRefused, match="not signed enough"):
        check_release_root(_rewritten(good_root, tmp_path / "root.json", unsigned))


def test_an_expired_root_is_refused(tmp_path: Path) -> None:
    generate_keys(tmp_path / "off", tmp_path / "on")
    old = Repository(tmp_path / "repo", tmp_path / "off", tmp_path / "on")
    old.init(now=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(RootRefused) as refused:
        check_release_root(old.metadata_dir / "1.root.json")
    assert "expired on 2024-12-31" in refused.value.message.en
    # The same file was fine while it lasted: the date is what is checked.
    check_release_root(old.metadata_dir / "1.root.json", now=dt.datetime(2024, 6, 1, tzinfo=dt.UTC))


def test_other_metadata_or_no_metadata_is_refused(repository: Repository, tmp_path: Path) -> None:
    with pytest.raises(RootRefused, match="is targets metadata, not a root"):
        check_release_root(repository.metadata_dir / "1.targets.json")
    (tmp_path / "notes.json").write_text('{"latest": "1.0.0"}')
    with pytest.raises(RootRefused, match="is not TUF metadata"):
        check_release_root(tmp_path / "notes.json")
    (tmp_path / "half.json").write_bytes(good_bytes := (repository.trusted_root()[:100]))
    assert good_bytes
    with pytest.raises(RootRefused, match="is not TUF metadata"):
        check_release_root(tmp_path / "half.json")
    with pytest.raises(RootRefused, match="cannot be read"):
        check_release_root(tmp_path / "missing.json")


def _signed_root(tmp_path: Path, *, consistent: bool, targets_key: bool) -> Path:
    signer = CryptoSigner.generate_ed25519()
    root = Root(expires=dt.datetime.now(dt.UTC) + dt.timedelta(days=30))
    root.consistent_snapshot = consistent
    for role in ("root", "snapshot", "timestamp") + (("targets",) if targets_key else ()):
        root.add_key(signer.public_key, role)
    md = Metadata(root)
    md.sign(signer)
    path = tmp_path / "root.json"
    md.to_file(str(path))
    return path


def test_a_root_that_could_never_verify_an_update_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RootRefused, match="names 0 key\\(s\\) for the targets role"):
        check_release_root(_signed_root(tmp_path, consistent=True, targets_key=False))
    with pytest.raises(RootRefused, match="consistent snapshots"):
        check_release_root(_signed_root(tmp_path, consistent=False, targets_key=True))
    check_release_root(_signed_root(tmp_path, consistent=True, targets_key=True))


def test_the_cli_says_why_in_both_languages_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "notes.json").write_text("not json at all")
    proc = subprocess.run(
        [PY, "-m", "updates", "check-root", tmp_path / "notes.json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "is not TUF metadata" in proc.stderr and "فراداده‌ی TUF نیست" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- dev.py build ------------------------------------------------------------------------


def test_a_build_with_neither_a_root_nor_no_updates_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {k: v for k, v in os.environ.items() if k != dev.UPDATE_ROOT_ENV}
    assert dev.release_options(PY, ["--log-level", "WARN"], environ) == 2
    assert "--no-updates" in capsys.readouterr().err
    # cmd_build stops there too: nothing is built (PyInstaller would take minutes).
    monkeypatch.delenv(dev.UPDATE_ROOT_ENV, raising=False)
    assert dev.cmd_build(PY, []) == 2
    assert "a release build ships the update repository's signed root" in capsys.readouterr().err


def test_no_updates_is_a_developers_build_without_a_root(
    capsys: pytest.CaptureFixture[str], good_root: Path
) -> None:
    options = dev.release_options(PY, ["--no-updates", "--log-level", "WARN"], {"A": "1"})
    assert options == ({"A": "1"}, ["--log-level", "WARN"])
    assert "updater stays off" in capsys.readouterr().out
    # A root left in the environment is not shipped by a build that says --no-updates.
    env, _ = dev.release_options(PY, ["--no-updates"], {dev.UPDATE_ROOT_ENV: str(good_root)})
    assert dev.UPDATE_ROOT_ENV not in env
    assert dev.release_options(PY, ["--no-updates", "--update-root", str(good_root)], {}) == 2
    assert "contradict" in capsys.readouterr().err


@pytest.mark.parametrize("form", ["flag", "equals", "environment"])
def test_a_checked_root_is_handed_to_build_spec(good_root: Path, form: str) -> None:
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)}
    args = {
        "flag": ["--update-root", str(good_root), "--clean"],
        "equals": [f"--update-root={good_root}", "--clean"],
        "environment": ["--clean"],
    }[form]
    if form == "environment":
        environ[dev.UPDATE_ROOT_ENV] = str(good_root)
    options = dev.release_options(PY, args, environ)
    assert not isinstance(options, int)
    env, rest = options
    assert env[dev.UPDATE_ROOT_ENV] == str(good_root.resolve())
    assert rest == ["--clean"]


def test_a_bad_root_stops_the_build_before_pyinstaller(
    capfd: pytest.CaptureFixture[str], good_root: Path, tmp_path: Path
) -> None:
    environ = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)}

    def unsigned(data: dict) -> None:  # type: ignore[type-arg]
        data["signatures"] = []

    bad = _rewritten(good_root, tmp_path / "root.json", unsigned)
    assert dev.release_options(PY, ["--update-root", str(bad)], environ) == 2
    err = capfd.readouterr().err
    assert "not signed enough" in err and "refused" in err


def test_build_spec_itself_refuses_a_bad_root_before_its_analysis(
    good_root: Path, tmp_path: Path
) -> None:
    bad = _rewritten(good_root, tmp_path / "root.json", lambda d: d.update(signatures=[]))
    proc = subprocess.run(
        [
            PY, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", tmp_path / "dist", "--workpath", tmp_path / "work",
            ROOT / "build.spec",
        ],
        cwd=ROOT,
        env={**os.environ, dev.UPDATE_ROOT_ENV: str(bad)},
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    assert proc.returncode != 0
    assert "PISHKHAN_UPDATE_ROOT refused" in proc.stderr + proc.stdout
    assert "not signed enough" in proc.stderr + proc.stdout
    assert not (tmp_path / "dist" / "pishkhan").exists()
