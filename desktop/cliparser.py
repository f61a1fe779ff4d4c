"""The command line's parser: every sub-command, its options, and the exit codes' help.

Handlers are named by ``"module:function"`` (``desktop.cli.handler_for`` imports them
when their command runs), so building this parser imports no database or network
library. The rules every command follows are ``desktop.cli``'s.
"""

from __future__ import annotations

import argparse
import textwrap

EXIT_CODES_HELP = """\
exit codes:
  0   done
  1   not done: a problem found (doctor), refused (an account, a full disk, a server's
      answer), or requests left waiting (sync)
  2   bad input: an option, a file (missing, not UTF-8, not JSON, wrong shape), a
      request's values (every reason is printed), a data folder with no Pishkhan data,
      a PC not set up or not enrolled (sync, status)
  3   another sync holds this data folder (sync)
  70  a bug: the details are in the log file named on stderr
"""


def add_common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: given before the sub-command, the top-level value must survive.
    parser.add_argument(
        "--data-dir",
        default=argparse.SUPPRESS,
        help="data folder (default: PISHKHAN_DATA_DIR or per-user)",
    )
    parser.add_argument(
        "--lang",
        choices=("fa", "en"),
        default=argparse.SUPPRESS,
        help="language of messages and times (default: the language setting, else fa)",
    )
    # The encrypted store's key (docs/SECURITY.md): a clerk's password, or the recovery key.
    parser.add_argument(
        "--user",
        default=argparse.SUPPRESS,
        help="the clerk whose password opens the encrypted store (default: PISHKHAN_USER, "
        "else --clerk); the password comes from PISHKHAN_PASSWORD, else the terminal",
    )
    parser.add_argument(
        "--recovery-key",
        action="store_true",
        default=argparse.SUPPRESS,
        help="open the store with the recovery key instead (from PISHKHAN_RECOVERY_KEY, "
        "else asked for on the terminal)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: str,
    help_: str,
    description: str | None = None,
) -> argparse.ArgumentParser:
    p = sub.add_parser(
        name,
        help=help_,
        description=textwrap.fill(description or help_, 88),
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_common(p)
    p.set_defaults(handler=handler, command_name=name)
    return p


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    commands = "desktop.clicommands"
    p = _parser(
        sub,
        "init",
        f"{commands}:cmd_init",
        "set up this PC: office, counter, manager account",
        "Set this PC up: the office it serves, its counter number and the office manager's "
        "account, all at once (nothing is written if any value is refused). The manager "
        "then adds the clerks in the program. The password comes from the environment "
        "variable named by --password-env (default PISHKHAN_PASSWORD), else it is asked "
        "for on the terminal.",
    )
    p.add_argument(
        "--office-code", required=True, help="the office's code from the central office (digits)"
    )
    p.add_argument("--office-name", required=True, help="the office's name, as on receipts")
    p.add_argument(
        "--counter", required=True, help="this PC's counter (باجه) number in the office, 1-99"
    )
    p.add_argument("--manager", required=True, help="manager's user name (letters, digits, .-_)")
    p.add_argument("--manager-name", required=True, help="manager's full name")
    p.add_argument("--device-name", default="", help="a name for this PC (optional)")
    p.add_argument(
        "--password-env",
        default="PISHKHAN_PASSWORD",
        help="environment variable holding the manager's password, at least 8 characters "
        "(else asked for on the terminal)",
    )

    p = _parser(
        sub,
        "set-password",
        f"{commands}:cmd_set_password",
        "set a clerk's password (and their key to the store)",
        "Set a clerk's password: the manager opens the store with their own password "
        "(--user), or with --recovery-key when every password is lost. The new password "
        "comes from PISHKHAN_NEW_PASSWORD, else it is asked for on the terminal. With "
        "--new-recovery-key a new recovery key is made (the old one stops working) and "
        "printed once.",
    )
    p.add_argument("clerk", nargs="?", help="the clerk's user name")
    p.add_argument(
        "--new-recovery-key", action="store_true", help="make and print a new recovery key"
    )

    p = _parser(
        sub, "import-catalog", f"{commands}:cmd_import_catalog", "import a service catalogue file"
    )
    p.add_argument("file", help="a catalogue document (UTF-8 JSON)")

    p = _parser(
        sub,
        "add-request",
        f"{commands}:cmd_add_request",
        "add a request from JSON (file or - for stdin)",
        "Add a request, checked exactly like the counter's form. The JSON object has "
        '"service" (a service code), "applicant" and "answers" (objects of texts), '
        '"documents" (a list of document keys the clerk saw) and "card_ref" (the card '
        "terminal's reference). On bad input every reason is printed, one per line, and "
        "nothing is saved.",
    )
    p.add_argument("file", help="the request as UTF-8 JSON, or - for stdin")
    p.add_argument("--clerk", required=True, help="user name of the clerk recording it")

    from desktop.states import State

    p = _parser(sub, "list", f"{commands}:cmd_list", "list requests, newest first")
    p.add_argument(
        "--state", action="append", default=[], choices=[s.value for s in State], help="repeat"
    )
    p.add_argument("--search", default="", help="national code, reference, mobile, name...")
    p.add_argument("--limit", type=_positive, default=50)
    p.add_argument("--json", action="store_true", help="JSON (times in ISO 8601 UTC)")

    p = _parser(
        sub, "export-day", f"{commands}:cmd_export_day", "export a day's requests and money as CSV"
    )
    p.add_argument("--date", required=True, help="Jalali date, e.g. 1405/09/07")
    p.add_argument("--clerk", help="only this clerk's work")
    p.add_argument("--out", required=True, help="the CSV file to write")

    p = _parser(
        sub,
        "doctor",
        "desktop.doctor:cmd_doctor",
        "check the database, the set-up and the queue",
        "Check this PC: the database (integrity, schema), the set-up (office, this PC, an "
        "active manager, a catalogue, enrolment and its token), the queue's invariants and "
        "the free disk space. Exit 1 if a problem is found; each is named with what to do.",
    )
    p.add_argument("--json", action="store_true", help="JSON (times in ISO 8601 UTC)")

    sync = "desktop.synccli"
    p = _parser(
        sub, "enrol", f"{sync}:cmd_enrol", "enrol this PC with the central server (one-time code)"
    )
    p.add_argument("--server", required=True, help="central server address, https://...")
    p.add_argument("--code", required=True, help="one-time enrolment code")
    p.add_argument("--ca-bundle", help="CA bundle file for the server's TLS certificate")
    p.add_argument("--device-name", help="name of this PC shown to the central office")
    p.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="accept an http:// server that is not this PC (the token crosses in clear)",
    )

    p = _parser(sub, "sync", f"{sync}:cmd_sync", "send waiting requests and fetch changes")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="one round (the default)")
    mode.add_argument("--loop", action="store_true", help="rounds until stopped")
    p.add_argument(
        "--until-empty",
        action="store_true",
        help="with --loop: exit 0 after a clean round leaves no request and no scan waiting",
    )
    p.add_argument("--max-seconds", type=_seconds, help="with --loop: give up after this long")
    p.add_argument(
        "--interval",
        type=_seconds,
        help="with --loop: seconds between rounds (default: the setting)",
    )
    p.add_argument("--max-backoff", type=_seconds, help="cap of the backoff in seconds (tests)")
    p.add_argument(
        "--read-timeout",
        type=_seconds,
        help="seconds to wait for an answer before the payload allowance (tests)",
    )
    p.add_argument("--events", action="store_true", help="print engine events as JSON lines")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = _parser(
        sub, "status", f"{sync}:cmd_status", "what waits to be sent, last contact, next try"
    )
    p.add_argument("--json", action="store_true", help="JSON (times in ISO 8601 UTC)")
