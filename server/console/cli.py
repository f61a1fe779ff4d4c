"""``python -m server create-staff``: a console account from the command line (the first
administrator has no console to be made in). The password comes from stdin
(``--password-stdin``) or is asked for twice on the terminal; never from an argument,
which other users of the machine can read in the process list."""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import Engine

from server.console import audit
from server.console.accounts import AccountError, create_account
from server.console.models import Role
from server.console.settings import ConsoleSettings
from server.context import utc_now


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("username", help="lower-case Latin letters, digits, . - _")
    p.add_argument("--role", choices=[r.value for r in Role], default=Role.ADMINISTRATOR.value)
    p.add_argument("--name", default="", help="the name shown in the console")
    p.add_argument("--service", action="append", default=[], help="reviewer: a service code")
    p.add_argument("--province", action="append", default=[], help="reviewer: a province code")
    p.add_argument("--office", action="append", default=[], help="reviewer: an office code")
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")


def create_staff(engine: Engine, args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 1
    now = utc_now()
    try:
        account_id = create_account(
            engine,
            ConsoleSettings.from_env(),
            username=args.username,
            password=password,
            role=Role(args.role),
            display_name=args.name,
            services=tuple(args.service),
            provinces=tuple(args.province),
            offices=tuple(args.office),
            now=now,
        )
    except AccountError as exc:
        print(f"error: {exc.message.en}", file=sys.stderr)
        return 1
    audit.record_now(
        engine,
        audit.Actor(None, "command-line", "local"),
        "create_staff",
        target=args.username,
        detail=args.role,
        now=now,
    )
    print(f"{args.username} ({args.role}) id={account_id}")
    return 0
