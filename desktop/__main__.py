"""``python -m desktop``: the program's entry point (the composition root).

With a sub-command it runs the headless command line. Without one it starts
the counter program's window: ``ui.app`` is loaded by name only then, so the
core and the command line never import Qt (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
from pathlib import Path

from desktop import __version__


def _program_parser() -> argparse.ArgumentParser:
    """The program's own options (the window's), without the sub-commands."""
    parser = argparse.ArgumentParser(
        prog="pishkhan", description="Pishkhan — counter program for government service offices"
    )
    parser.add_argument("--version", action="version", version=f"Pishkhan {__version__}")
    parser.add_argument("--data-dir", help="data folder (default: PISHKHAN_DATA_DIR or per-user)")
    parser.add_argument("--lang", choices=("fa", "en"), help="language of the program")
    parser.add_argument(
        "--screenshot",
        metavar="PATH",
        help="save a PNG of the main window and exit: of demo data in a temporary folder, "
        "or with --data-dir of that folder's data (an empty folder needs --demo)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="start with a temporary data folder, show the login window, exit 0",
    )
    parser.add_argument(
        "--demo", action="store_true", help="fill an empty data folder with demo data first"
    )
    return parser


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: the program's options and every sub-command."""
    from desktop import cliparser

    parser = _program_parser()
    parser.epilog = cliparser.EXIT_CODES_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    cliparser.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    if given == ["--version"]:
        # Answered before the command line (and its database libraries) is imported.
        print(f"Pishkhan {__version__}")
        return 0
    # The window's start parses with the options alone: the sub-commands' modules import
    # the database and network libraries, which the login window does without (the store
    # is opened while the clerk types, see ui/app.py). Anything else — a sub-command,
    # --help, a typo — gets the whole command line and its messages.
    wants_help = any(arg in ("-h", "--help") for arg in given)
    args, rest = (None, given) if wants_help else _program_parser().parse_known_args(given)
    if rest or args is None:
        args = build_parser().parse_args(given)
    if getattr(args, "command", None):
        from desktop import cli

        return cli.run_command(args)  # it sets up logging once the data folder is known
    return run_gui(args)


def run_gui(args: argparse.Namespace) -> int:
    # The light core modules the login window needs are imported here, before the UI
    # loads PySide6: once it is loaded, every new import also pays for PySide6's
    # "__feature__" check, which reads and tokenises the module's source.
    import desktop.db.peek
    import desktop.errors
    import rules.messages  # noqa: F401
    from desktop.config import resolve_data_dir
    from desktop.logs import close_logging, setup_logging

    with contextlib.ExitStack() as cleanup:

        def scratch() -> Path:
            """A temporary data folder (smoke and screenshot runs), removed at the end."""
            import tempfile

            return Path(
                cleanup.enter_context(
                    tempfile.TemporaryDirectory(prefix="pishkhan-", ignore_cleanup_errors=True)
                )
            )

        screenshot = Path(args.screenshot).resolve() if args.screenshot else None
        if args.smoke:
            data_dir = scratch()
        elif screenshot is not None and not args.data_dir:
            from desktop.demo import demo_data_dir

            data_dir = demo_data_dir(scratch(), requests=240)
        else:
            data_dir = resolve_data_dir(args.data_dir)
            if args.demo:
                from desktop.demo import demo_data_dir

                demo_data_dir(data_dir)
        setup_logging(data_dir)
        if (data_dir / desktop.db.peek.KEYS_FILENAME).exists():
            # An encrypted store: the login window's header is the key file's, read by
            # desktop.keyslots (json, secrets, hmac): imported here for the same reason.
            import desktop.keyslots
        app = importlib.import_module("ui.app")
        try:
            code: int = app.run_gui(
                data_dir, lang=args.lang, screenshot=screenshot, smoke=args.smoke, demo=args.demo
            )
        finally:
            close_logging()
        return code


if __name__ == "__main__":
    sys.exit(main())
