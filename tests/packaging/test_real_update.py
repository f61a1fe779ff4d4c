"""A real bundle updates to the next real build (issue 16's "done when", on Linux).

Version N is the session's frozen bundle (``frozen_bundle``, build.spec); N+1 is build.spec
run again on a snapshot of the last commit with the version raised and one real line
changed. Both are published (``updates.repository``), served by the real server, and the
PC on N downloads the patch through the fault proxy at 256 kbit/s, the line going down at
a third of it (the download resumes from the bytes it had), verifies and stages it; the
installed executable's launcher then runs N+1's own ``--self-check`` (the frozen smoke
run), switches, and N+1 runs on the data folder N made. Minutes of CPU (a second
PyInstaller build, xz, bsdiff): a ``bundle`` test like the others that build. N+1's build
runs in the background while N is installed and published (xz of N's 180 MB), which
needs nothing from it; xz at level 0 (docs/TESTING.md has the figures).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop import __version__
from tests.packaging.conftest import BUILD_TIMEOUT_S
from tests.packaging.support import EXE_SUFFIX, ROOT, program_env, run
from tests.support.faultproxy import FaultProxy, LinkConfig
from tests.support.server import start_server
from tests.updates.conftest import new_repository
from updates.client import UpdateClient
from updates.download import Progress
from updates.pointer import STATE_DIR, SWITCHED, Pointer, stage

CHANGED_FILE = "desktop/config.py"
CHANGED_FROM = '"Seconds between automatic sync rounds"'
CHANGED_TO = '"Seconds between automatic sync rounds (and update checks)"'


def _next_version(version: str) -> str:
    *head, last = version.split(".")
    return ".".join([*head, str(int(last) + 1)])


def _start_next_build(tmp: Path, version: str) -> subprocess.Popen[str]:
    """build.spec on the last commit with ``version`` and one line changed, started in the
    background: it needs nothing from N, so it runs while N is set up and published."""
    tree = tmp / "src"
    tree.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    init = tree / "desktop" / "__init__.py"
    init.write_text(init.read_text().replace(f'"{__version__}"', f'"{version}"'))
    changed = tree / CHANGED_FILE
    text = changed.read_text()
    assert CHANGED_FROM in text, f"{CHANGED_FILE} lost the line this test changes"
    changed.write_text(text.replace(CHANGED_FROM, CHANGED_TO))
    with (tmp / "pyinstaller.log").open("w") as log:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                "--distpath", str(tmp / "dist"), "--workpath", str(tmp / "work"),
                str(tree / "build.spec"),
            ],
            cwd=tree, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip


def _finish_next_build(tmp: Path, build: subprocess.Popen[str]) -> Path:
    try:
        returncode = build.wait(timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        build.kill()
        build.wait()
        raise
    if returncode != 0:
        said = (tmp / "pyinstaller.log").read_text(errors="replace")
        pytest.fail(f"PyInstaller failed ({returncode}):\n{said}")
    return tmp / "dist" / "pishkhan"


@pytest.mark.bundle
# Minutes of CPU (above): at load 8 on the 2 cores (four engineers' suites at once) it went
# past the suite's 600 s while bsdiff ran; a hang still ends, at twice that.
@pytest.mark.timeout(1200)
def test_a_real_bundle_updates_to_the_next_real_build_and_runs_on_the_same_data(
    frozen_bundle: Path, tmp_path: Path
) -> None:
    new_version = _next_version(__version__)
    build = _start_next_build(tmp_path / "next", new_version)
    try:
        root = tmp_path / "Programs" / "Pishkhan"
        shutil.copytree(frozen_bundle, root, symlinks=True)
        console = root / f"pishkhan-console{EXE_SUFFIX}"
        env = {**program_env(tmp_path), "PISHKHAN_PASSWORD": "bundle-password"}
        data = tmp_path / "data"
        init = ["init", "--office-code", "1001", "--office-name", "دفتر", "--counter", "1"]
        init += ["--manager", "modir", "--manager-name", "مدیر", "--data-dir", str(data)]
        made = run([console, *init], env, tmp_path)
        assert made.returncode == 0, made.stdout + made.stderr

        repo = new_repository(tmp_path / "release")
        # xz's cheapest level: the suite's CPU (releases use 6, bench/RESULTS.md); the
        # patch is compressed alike, so "the patch is a small part of the full" still holds.
        repo.xz_preset = 0
        repo.publish(frozen_bundle, __version__)
        new_bundle = _finish_next_build(tmp_path / "next", build)
    finally:
        if build.poll() is None:  # the set-up above failed: do not leave the build running
            build.kill()
            build.wait()
    repo.publish(new_bundle, new_version)
    with (
        start_server(tmp_path / "server", extra_args=("--updates-dir", str(repo.repo_dir))) as srv,
        FaultProxy("127.0.0.1", srv.port, config=LinkConfig(rate_bps=256_000)) as proxy,
    ):
        client = UpdateClient(
            base_url=f"{proxy.url_for()}/updates",
            state_dir=root / STATE_DIR,
            trusted_root=repo.trusted_root(),
            installed_version=__version__,
        )
        offer = client.check()
        assert offer is not None and offer.kind == "patch" and offer.version == new_version
        assert offer.size * 100 < offer.full.length
        cut: list[int] = []

        def cut_at_a_third(progress: Progress) -> None:
            if not cut and progress.done >= progress.total // 3:
                cut.append(progress.done)
                proxy.set_config(proxy.config.replace(refuse_connections=True))

        def line_back_after_a_refusal() -> bool:
            if cut and proxy.config.refuse_connections and proxy.stats().refused >= 1:
                proxy.set_config(proxy.config.replace(refuse_connections=False))
            return True

        path, progress = client.download(
            offer.target, on_progress=cut_at_a_third, may_continue=line_back_after_a_refusal
        )
    # Resumed from the bytes it had when the line went, not from the start; then verified.
    assert cut and progress.resumed_at and progress.resumed_at[0] >= cut[0] > 0
    assert progress.done == offer.size
    stage(root, path, version=new_version, installed=root)
    assert Pointer.read(root).current is None  # nothing switches during work

    # The next start: the installed executable's launcher checks N+1 and hands over.
    started = run([console, "--version"], env, tmp_path)
    assert started.returncode == 0, started.stdout + started.stderr
    assert started.stdout.strip() == f"Pishkhan {new_version}"
    pointer = Pointer.read(root)
    assert (pointer.current, pointer.state) == (new_version, SWITCHED)
    # N+1 on the data N made: it opens the (encrypted) store with the manager N set up.
    again = run([console, "doctor", "--user", "modir", "--data-dir", data], env, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert new_version in again.stdout
    assert (root / "versions" / new_version / f"pishkhan{EXE_SUFFIX}").is_file()
