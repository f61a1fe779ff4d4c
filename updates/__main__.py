"""``python -m updates``: make keys, start a repository, publish a release, renew it.

    python -m updates keys    --offline-keys F --online-keys N
    python -m updates init    --repo R --offline-keys F --online-keys N
    python -m updates publish --repo R --offline-keys F --online-keys N --bundle dist/pishkhan
                              [--version 1.2.3]
    python -m updates refresh --repo R --online-keys N      (on a timer: the timestamp lasts a day)
    python -m updates rotate  --repo R --offline-keys F --online-keys N --role timestamp
    python -m updates check-root R/metadata/1.root.json     (what a release build ships)

The repository folder R is what the central server serves (``serve --updates-dir R``) or
any static mirror; the offline folder F is plugged in only to publish.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from updates.release_root import RootRefused, check_release_root
from updates.repository import PublishError, Repository, generate_keys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m updates", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    keys = sub.add_parser("keys", help="new keys for the four TUF roles")
    keys.add_argument("--offline-keys", type=Path, required=True)
    keys.add_argument("--online-keys", type=Path, required=True)
    check = sub.add_parser("check-root", help="is this file a root a release may ship?")
    check.add_argument("root", type=Path, help="the repository's metadata/<N>.root.json")
    for name in ("init", "publish", "refresh", "rotate"):
        p = sub.add_parser(name)
        p.add_argument("--repo", type=Path, required=True, help="the folder that is served")
        p.add_argument("--online-keys", type=Path, required=True)
        if name != "refresh":
            p.add_argument("--offline-keys", type=Path, required=True)
        if name == "rotate":
            p.add_argument(
                "--role", required=True, choices=("root", "targets", "snapshot", "timestamp")
            )
        if name == "publish":
            p.add_argument("--bundle", type=Path, required=True, help="the PyInstaller folder")
            p.add_argument("--version", help="default: read from the bundle's --version")
    return parser


def _bundle_version(bundle: Path) -> str:
    import subprocess

    for name in ("pishkhan-console", "pishkhan-console.exe"):
        program = bundle / name
        if program.is_file():
            out = subprocess.run(
                [str(program), "--version"], capture_output=True, text=True, check=True
            ).stdout
            return out.split()[-1]
    raise PublishError(f"{bundle} has no pishkhan-console to ask its version: pass --version")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "keys":
            generate_keys(args.offline_keys, args.online_keys)
            print(f"keys written; keep {args.offline_keys} offline")
            return 0
        if args.command == "check-root":
            checked = check_release_root(args.root)
            print(f"{args.root}: {checked.summary()}")
            return 0
        offline = getattr(args, "offline_keys", None)
        repo = Repository(args.repo, offline, args.online_keys)
        if args.command == "init":
            repo.init()
        elif args.command == "publish":
            if not args.bundle.is_dir():
                raise PublishError(f"{args.bundle} is not a folder")
            version = args.version or _bundle_version(args.bundle)
            sizes = repo.publish(args.bundle, version)
            print(f"published {version}: " + ", ".join(f"{k} {v} B" for k, v in sizes.items()))
        elif args.command == "rotate":
            keyid = repo.rotate(args.role)
            print(f"the {args.role} role now has key {keyid}; its old key is retired")
        else:
            repo.refresh()
    except RootRefused as exc:
        print(f"python -m updates check-root: {exc.message.en}\n{exc.message.fa}", file=sys.stderr)
        return 2
    except (PublishError, OSError, ValueError) as exc:
        print(f"python -m updates {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
