"""``python -m bench.updates [--old DIR --new DIR]``: what an update costs on a rural line.

Between two consecutive builds (default: the stub bundles of tests/updates/frozen.py,
1.0.0 and 1.1.0; pass two real ``dist/pishkhan`` folders to measure the counter's own, or
``--real-builds``: build.spec twice on a snapshot of the last commit, version N as it is
and N+1 with its version raised and one real line changed, the release cycle's smallest
real step),
publishes both with ``updates.repository`` (xz level 6, as releases are), then reports the
full archive's and the patch's sizes, and downloads the patch through the fault proxy at
256 kbit/s from a real server (``updates.client``: TUF check, ranged download, hash check).
The full archive's time on that line is its size over the rate (measured only with
``--measure-full``: minutes). Baseline in the same run: the full archive.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from pathlib import Path

RATE_BPS = 256_000
# The one-line change of N+1 (a setting's description: real code, shipped in the PYZ).
CHANGED_FILE = "desktop/config.py"
CHANGED_FROM = '"Seconds between automatic sync rounds"'
CHANGED_TO = '"Seconds between automatic sync rounds (and update checks)"'


def bumped(version: str) -> str:
    parts = version.split(".")
    return ".".join([*parts[:-1], str(int(parts[-1]) + 1)])


def real_builds(tmp: Path) -> tuple[Path, str, Path, str, float]:
    """Builds N and N+1 of the counter's bundle; (old, its version, new, its version, s)."""
    from bench.bundle import build, snapshot

    tree_a, commit = snapshot(tmp / "src-a")
    init = tree_a / "desktop" / "__init__.py"
    found = re.search(r'^__version__ = "([0-9.]+)"$', init.read_text(), re.MULTILINE)
    assert found is not None, "desktop/__init__.py: no __version__ line"
    old_version = found.group(1)
    new_version = bumped(old_version)
    tree_b = tmp / "src-b"
    shutil.copytree(tree_a, tree_b)
    b_init = tree_b / "desktop" / "__init__.py"
    b_init.write_text(b_init.read_text().replace(f'"{old_version}"', f'"{new_version}"'))
    changed = tree_b / CHANGED_FILE
    text = changed.read_text()
    assert CHANGED_FROM in text, f"{CHANGED_FILE} no longer has the line the bench changes"
    changed.write_text(text.replace(CHANGED_FROM, CHANGED_TO))
    print(f"building {old_version} and {new_version} from {commit} ...", flush=True)
    old, build_a = build(tree_a, tmp / "dist-a", tmp / "work-a", untrimmed=False)
    new, build_b = build(tree_b, tmp / "dist-b", tmp / "work-b", untrimmed=False)
    return old, old_version, new, new_version, build_a + build_b


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old", type=Path)
    parser.add_argument("--new", type=Path)
    parser.add_argument("--old-version", default="1.0.0")
    parser.add_argument("--new-version", default="1.1.0")
    parser.add_argument("--measure-full", action="store_true")
    parser.add_argument("--real-builds", action="store_true")
    args = parser.parse_args()

    from tests.support.faultproxy import FaultProxy, LinkConfig
    from tests.support.server import start_server
    from tests.updates.conftest import new_repository
    from updates.archive import make_manifest
    from updates.client import UpdateClient

    tmp = Path(tempfile.mkdtemp(prefix="bench-updates-"))
    build_s = None
    if args.real_builds:
        args.old, args.old_version, args.new, args.new_version, build_s = real_builds(tmp)
    elif args.old is None or args.new is None:
        from tests.updates.frozen import stub_bundle

        args.old, args.new = stub_bundle(args.old_version), stub_bundle(args.new_version)
    try:
        repo = new_repository(tmp)
        started = time.monotonic()
        repo.publish(args.old, args.old_version)
        sizes = repo.publish(args.new, args.new_version)
        publish_s = time.monotonic() - started
        bundle_bytes = sum(e.size for e in make_manifest(args.new, "x").entries.values())
        with (
            start_server(tmp / "server", extra_args=("--updates-dir", str(repo.repo_dir))) as srv,
            FaultProxy("127.0.0.1", srv.port, config=LinkConfig(rate_bps=RATE_BPS)) as proxy,
        ):
            client = UpdateClient(
                base_url=f"{proxy.url_for()}/updates",
                state_dir=tmp / "pc",
                trusted_root=repo.trusted_root(),
                installed_version=args.old_version,
            )
            started = time.monotonic()
            offer = client.check()
            check_s = time.monotonic() - started
            assert offer is not None and offer.kind == "patch"
            started = time.monotonic()
            client.download(offer.target)
            patch_s = time.monotonic() - started
            full_s = sizes["full"] * 8 / RATE_BPS
            measured = ""
            if args.measure_full:
                started = time.monotonic()
                client.download(offer.full)
                full_s = time.monotonic() - started
                measured = " (measured)"
        print(f"versions:              {args.old_version} -> {args.new_version}")
        if build_s is not None:
            print(f"two builds:            {build_s:9.1f} s")
        before = make_manifest(args.old, "x").entries
        after = make_manifest(args.new, "x").entries
        changed_files = [name for name, entry in after.items() if before.get(name) != entry]
        print(f"files that differ:     {len(changed_files):9d} {sorted(changed_files)[:6]}")
        print(f"bundle on disk:        {bundle_bytes / 1e6:9.2f} MB")
        print(f"full archive (xz -6):  {sizes['full'] / 1e6:9.2f} MB")
        print(f"patch:                 {sizes['patch'] / 1e3:9.1f} KB")
        print(f"patch / full:          {sizes['patch'] / sizes['full']:9.4f}")
        print(f"check (TUF refresh):   {check_s:9.1f} s at 256 kbit/s")
        print(f"patch download:        {patch_s:9.1f} s at 256 kbit/s")
        print(f"full download:         {full_s:9.1f} s at 256 kbit/s{measured or ' (size/rate)'}")
        print(f"publish both:          {publish_s:9.1f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
