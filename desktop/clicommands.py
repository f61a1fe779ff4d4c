"""The store commands of the command line: init, import-catalog, add-request, list, export-day.

Declared in ``desktop.cli`` (which imports this module only when one of them runs).
Bad input is an ``InputError`` or a ``ValidationFailed`` (exit 2, every reason printed);
see ``desktop.cli`` for the rules every command follows.

A recovery key is printed once (``init``, ``set-password``), and only once it has been
written out is the key file's unseen mark cleared (``_show_recovery_key``): killed before,
the manager's next login (the window, or ``set-password`` by a manager here) makes and
shows a new one.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from desktop.clerks import ClerkDirectory, ClerkInfo, normalize_username
from desktop.cli import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    Context,
    InputError,
    read_input,
    start_logging,
)
from desktop.intake import Intake, RequestDraft
from desktop.keyslots import format_recovery_key
from desktop.office import SetupFailed, SetupForm, set_up, setup_problems
from rules.catalog import ValidationFailed
from rules.errors import UserFacingError
from rules.messages import Message

log = logging.getLogger("pishkhan.cli")

# The option that carries each value of the set-up, to name it in a refusal.
_INIT_OPTIONS = {
    "office_code": "--office-code",
    "office_name": "--office-name",
    "counter_no": "--counter",
    "username": "--manager",
    "display_name": "--manager-name",
    "password": "password",
}


def _init_password(args: argparse.Namespace) -> str:
    from_env = os.environ.get(args.password_env)
    if from_env:
        return from_env
    if not sys.stdin.isatty():
        raise InputError(
            Message(
                fa=f"گذرواژهٔ مدیر داده نشده است: آن را در متغیر محیطی {args.password_env} "
                "بگذارید، یا فرمان را در یک پایانه اجرا کنید تا پرسیده شود.",
                en=f"No password for the manager: put it in the environment variable "
                f"{args.password_env}, or run the command on a terminal to be asked for it.",
            )
        )
    first = getpass.getpass("Password / گذرواژه: ")
    again = getpass.getpass("Again / تکرار: ")
    if first != again:
        raise InputError(
            Message(fa="دو گذرواژه یکی نیستند.", en="The two passwords are not the same.")
        )
    return first


def cmd_init(args: argparse.Namespace) -> int:
    form = SetupForm(
        office_code=args.office_code,
        office_name=args.office_name,
        counter_no=args.counter,
        manager_username=args.manager,
        manager_name=args.manager_name,
        password="",
        device_name=args.device_name,
    )
    # Every value the options carry is checked before the password is asked for and
    # before the data folder is touched: a refusal leaves nothing behind.
    problems = {k: v for k, v in setup_problems(form).items() if k != "password"}
    if not problems:
        form = SetupForm(**{**form.__dict__, "password": _init_password(args)})
        problems = setup_problems(form)
    if problems:
        return _refused(args, SetupFailed(problems))
    from desktop.config import resolve_data_dir

    folder = resolve_data_dir(getattr(args, "data_dir", None))
    if folder.exists() and not folder.is_dir():
        raise InputError(
            Message(
                fa=f"{folder} یک پرونده است، نه پوشه؛ پوشهٔ داده را درست بنویسید.",
                en=f"{folder} is a file, not a folder; give the data folder.",
            )
        )
    start_logging(args, create=True)
    ctx = Context(args, create=True)
    try:
        try:
            result = set_up(ctx.store, form)
        except SetupFailed as exc:
            return _refused(args, exc, ctx.lang)
        from desktop.keyslots_setup import encrypt_store

        # Encrypted before any citizen's data arrives; the recovery key is printed once.
        recovery = encrypt_store(ctx.store, result.manager, form.password)
        device = result.device
        _show_recovery_key(
            ctx,
            recovery,
            {
                "device_id": device.id,
                "office_code": device.office_code,
                "counter_no": device.counter_no,
                "manager": result.manager.username,
                "data_dir": str(ctx.data_dir),
            },
        )
        return EXIT_OK
    finally:
        ctx.close()


RECOVERY_NOTICE = Message(
    fa="کلید بازیابی (recovery_key) همین یک بار نشان داده می‌شود: آن را روی کاغذ بنویسید و "
    "جای امنی نگه دارید. اگر همهٔ گذرواژه‌ها فراموش شوند، فقط این کلید پایگاه داده را باز "
    "می‌کند.",
    en="The recovery key (recovery_key) is shown this once: write it on paper and keep it "
    "somewhere safe. If every password is forgotten, only this key opens the database.",
)


def _show_recovery_key(ctx: Context, recovery: str, fields: Mapping[str, object]) -> None:
    """Print the recovery key (a JSON line on stdout, with ``fields``) and the notice, then
    clear the key file's unseen mark: printing is the command line's showing it. A print
    that fails (a closed pipe) leaves the mark for the next manager's login."""
    from desktop.keyslots_setup import confirm_recovery_seen

    line = {**fields, "recovery_key": format_recovery_key(recovery)}
    print(json.dumps(line, ensure_ascii=False), flush=True)
    print(ctx.say(RECOVERY_NOTICE), file=sys.stderr, flush=True)
    try:
        confirm_recovery_seen(ctx.data_dir, recovery)
    except OSError as exc:  # a full disk: the key is out; the mark asks for a new one later
        log.warning("recovery key's unseen mark not cleared: %s", exc.strerror or exc)


def cmd_set_password(args: argparse.Namespace) -> int:
    """A clerk's new password (their slot rewrapped), or a new recovery key; a manager's
    run on a store whose recovery key was never shown makes and prints a new one too."""
    from desktop.keyslots_setup import new_recovery_key, renew_unseen_recovery

    if not args.clerk and not args.new_recovery_key:
        raise InputError(
            Message(
                fa="نام کاربری را بنویسید، یا --new-recovery-key را بدهید.",
                en="Name the clerk, or give --new-recovery-key.",
            )
        )
    ctx = Context(args)
    try:
        directory = ClerkDirectory(ctx.store)
        by = _acting_manager(ctx, args, directory)
        if args.clerk:
            target = _clerk(ctx, args.clerk)
            new = _new_password()
            directory.change_password(by, target.id, new)
            print(json.dumps({"clerk": target.username, "password": "set"}, ensure_ascii=False))
        if args.new_recovery_key:
            if not ctx.store.encrypted:
                raise InputError(
                    Message(
                        fa="این پایگاه داده هنوز رمزگذاری نشده است.",
                        en="This database is not encrypted yet.",
                    )
                )
            _show_recovery_key(ctx, new_recovery_key(ctx.store), {})
        else:
            renewed = renew_unseen_recovery(ctx.store, by)  # None unless a manager's, unseen
            if renewed is not None:
                print(ctx.say(RENEWED_NOTICE), file=sys.stderr)
                _show_recovery_key(ctx, renewed, {})
        return EXIT_OK
    finally:
        ctx.close()


RENEWED_NOTICE = Message(
    fa="کلید بازیابی این رایانه هیچ‌گاه نشان داده و تأیید نشده بود (برق پیش از آن رفته "
    "بود، یا پنجره‌اش بی‌تأیید بسته شد): کلید تازه‌ای ساخته شد و کلید پیشین دیگر کار "
    "نمی‌کند.",
    en="This PC's recovery key had never been shown and confirmed (the power was cut "
    "before, or its window was closed unconfirmed): a new one was made, and the old one "
    "no longer works.",
)


def _acting_manager(ctx: Context, args: argparse.Namespace, directory: ClerkDirectory) -> ClerkInfo:
    """Who is doing it: the manager whose password opened the store, or with the recovery
    key (which stands for the office itself) the first active manager."""
    managers = [c for c in directory.list() if c.active and c.is_manager]
    if getattr(args, "recovery_key", False):
        if not managers:
            raise InputError(Message(fa="مدیر فعالی نیست.", en="There is no active manager."))
        return managers[0]
    # The same clerk whose password opened the store (``desktop.cli.store_key``).
    user = getattr(args, "user", None) or os.environ.get("PISHKHAN_USER") or args.clerk
    if not user:
        raise InputError(
            Message(
                fa="مدیری را که این کار را می‌کند با --user بگویید.",
                en="Name the manager doing this with --user.",
            )
        )
    if ctx.store.encrypted:
        acting = _clerk(ctx, str(user))  # their password has just unlocked their slot
    else:
        from desktop.cli import NO_SECRET_PASSWORD, secret_input

        password = secret_input("PISHKHAN_PASSWORD", "Password / گذرواژه: ", NO_SECRET_PASSWORD)
        acting = directory.authenticate(str(user), password)
    if not acting.is_manager and acting.username != normalize_username(args.clerk or ""):
        raise InputError(
            Message(
                fa="این کار فقط از مدیر دفتر برمی‌آید.", en="Only the office manager can do this."
            )
        )
    return acting


def _new_password() -> str:
    from desktop.cli import secret_input

    first = secret_input(
        "PISHKHAN_NEW_PASSWORD",
        "New password / گذرواژهٔ تازه: ",
        Message(
            fa="گذرواژهٔ تازه داده نشده است: آن را در PISHKHAN_NEW_PASSWORD بگذارید یا فرمان "
            "را در یک پایانه اجرا کنید.",
            en="No new password given: put it in PISHKHAN_NEW_PASSWORD, or run the command "
            "on a terminal.",
        ),
    )
    if not os.environ.get("PISHKHAN_NEW_PASSWORD"):
        if getpass.getpass("Again / تکرار: ") != first:
            raise InputError(
                Message(fa="دو گذرواژه یکی نیستند.", en="The two passwords are not the same.")
            )
    return first


def _refused(args: argparse.Namespace, exc: SetupFailed, lang: str | None = None) -> int:
    from desktop.cli import language

    lang = lang or language(args)
    for key, message in exc.problems.items():
        option = _INIT_OPTIONS.get(key)
        print(f"{option}: {message.text(lang)}" if option else message.text(lang), file=sys.stderr)
    return EXIT_FAILED if set(exc.problems) == {"set_up"} else EXIT_INVALID


def cmd_import_catalog(args: argparse.Namespace) -> int:
    from rules.catalog import Catalog, CatalogError

    ctx = Context(args)
    try:
        text = read_input(args.file, ctx.lang)
        try:
            catalog = Catalog.from_document(json.loads(text))
        except (ValueError, RecursionError) as exc:
            reason = exc.message if isinstance(exc, CatalogError) else _json_problem(exc)
            raise InputError(reason) from None
        added = ctx.catalogs.import_catalog(catalog, source="file")
        print(
            ctx.say(
                Message(
                    fa=f"نسخهٔ {catalog.version} فهرست خدمات: {len(catalog.services)} خدمت"
                    + ("" if added else " (از پیش بود)"),
                    en=f"catalog version {catalog.version}: {len(catalog.services)} services"
                    + ("" if added else " (already known)"),
                )
            )
        )
        return EXIT_OK
    finally:
        ctx.close()


def _json_problem(exc: BaseException) -> Message:
    detail = str(exc) if isinstance(exc, ValueError) else "nested too deeply"
    return Message(fa=f"JSON نامعتبر است: {detail}", en=f"Invalid JSON: {detail}")


def _clerk(ctx: Context, username: str) -> ClerkInfo:
    name = normalize_username(username)
    for clerk in ClerkDirectory(ctx.store).list():
        if clerk.username == name and clerk.active:
            return clerk
    raise InputError(
        Message(
            fa=f"کاربر فعالی با نام «{username}» نیست.", en=f"No active user named '{username}'."
        )
    )


_REQUEST_KEYS = ("service", "applicant", "answers", "documents", "card_ref")
_NOT_AN_OBJECT = Message(
    fa='باید یک شیء JSON از نام خانه‌ها و مقدارهای متنی باشد، مانند {"first_name": "علی"}',
    en='must be a JSON object of field names and texts, like {"first_name": "Ali"}',
)


def draft_from_json(doc: object) -> RequestDraft:
    """A request as the command line takes it, as a draft for ``Intake``.

    The document's shape is checked here (every problem at once, by its path, as
    ``ValidationFailed``); the values are checked by the form's rules. A whole number is
    taken as its digits (a JSON number for an amount); any other non-text value is left
    for the form's rules, which refuse it at its field.
    """
    if not isinstance(doc, dict):
        raise InputError(
            Message(
                fa="درخواست باید یک شیء JSON باشد: {...}", en="A request is a JSON object: {...}"
            )
        )
    errors: dict[str, Message] = {}
    unknown = sorted(str(k) for k in doc if k not in _REQUEST_KEYS)
    if unknown:
        keys = ", ".join(k[:64] for k in unknown[:10])
        errors["request"] = Message(
            fa=f"کلیدهای ناشناخته: {keys} (مجاز: {', '.join(_REQUEST_KEYS)})",
            en=f"Unknown keys: {keys} (allowed: {', '.join(_REQUEST_KEYS)})",
        )
    service = doc.get("service")
    if not isinstance(service, str) or not service.strip():
        errors["service"] = Message(
            fa="کد خدمت (متن) لازم است.", en='The key "service" (a service code) is required.'
        )
    blocks: dict[str, dict[str, object]] = {}
    for name in ("applicant", "answers"):
        raw = doc.get(name)
        if raw is None:
            blocks[name] = {}
        elif isinstance(raw, dict):
            blocks[name] = {str(k): _value(v) for k, v in raw.items()}
        else:
            errors[name] = _NOT_AN_OBJECT
    documents = doc.get("documents")
    if documents is None:
        documents = []
    elif not isinstance(documents, list):
        errors["documents"] = Message(
            fa='باید فهرستی از کلید مدارک باشد، مانند ["national_card"]',
            en='must be a list of document keys, like ["national_card"]',
        )
        documents = []
    card_ref = _value(doc.get("card_ref"))
    if not isinstance(card_ref, str):
        errors["card_ref"] = Message(
            fa="شمارهٔ پیگیری کارتخوان باید متن یا عدد باشد.",
            en="The card terminal reference is a text or a number.",
        )
        card_ref = ""
    if errors:
        raise ValidationFailed(errors)
    return RequestDraft(
        service_code=str(service),
        # Non-text values stay as they came: the form's rules refuse each at its field.
        applicant=cast(Mapping[str, str], blocks["applicant"]),
        answers=cast(Mapping[str, str], blocks["answers"]),
        documents=cast(list[str], documents),
        card_ref=card_ref,
    )


def _value(v: object) -> object:
    if v is None:
        return ""
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return v


def cmd_add_request(args: argparse.Namespace) -> int:
    ctx = Context(args)
    try:
        text = read_input(args.file, ctx.lang)
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise InputError(_json_problem(exc)) from None
        draft = draft_from_json(doc)
        clerk = _clerk(ctx, args.clerk)
        saved = Intake(ctx.store, ctx.catalogs).save(clerk, draft)
        print(
            json.dumps(
                {
                    "id": saved.id,
                    "reference": saved.reference,
                    "seq": saved.seq,
                    "total_fee": saved.fees.total,
                    "collected": saved.collected,
                    "total": saved.fees.total + saved.collected,
                },
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    finally:
        ctx.close()


def cmd_list(args: argparse.Namespace) -> int:
    from desktop.queue import QueueFilter, QueueQueries
    from desktop.receipt import digits
    from desktop.states import STATE_NAMES, State

    ctx = Context(args)
    try:
        queries = QueueQueries(ctx.store)
        try:
            ids = queries.ids(QueueFilter(states=frozenset(args.state), text=args.search))
            rows = queries.rows(list(ids[: args.limit]))
            ordered = [rows[i] for i in ids[: args.limit]]
        finally:
            queries.close()
        if args.json:
            print(json.dumps([_row_json(r) for r in ordered], ensure_ascii=False, indent=1))
            return EXIT_OK
        lang = ctx.lang
        for r in ordered:
            print(
                "\t".join(
                    (
                        digits(r.reference, lang),
                        STATE_NAMES[State(r.state)].text(lang),
                        r.service_code,
                        r.tracking_code or "-",
                        ctx.when(r.created_at),
                    )
                )
            )
        count = digits(len(ids), lang)
        print(ctx.say(Message(fa=f"({count} درخواست)", en=f"({count} matching)")))
        return EXIT_OK
    finally:
        ctx.close()


def _row_json(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "reference": r.reference,
        "service": r.service_code,
        "state": r.state,
        "tracking_code": r.tracking_code,
        "total_fee": r.total_fee,
        "created_at": r.created_at.isoformat(),
        "clerk": r.clerk_username,
    }


def cmd_export_day(args: argparse.Namespace) -> int:
    from desktop.dayclose import day_summary, export_csv
    from rules.validation import FieldError, parse_jalali_date

    ctx = Context(args)
    try:
        try:
            day, _ = parse_jalali_date(args.date)
        except FieldError as exc:
            raise InputError(exc.message) from None
        clerk_id = _clerk(ctx, args.clerk).id if args.clerk else None
        out = Path(args.out)
        if not out.parent.is_dir():
            folder = str(out.parent)
            raise InputError(
                Message(fa=f"پوشهٔ {folder} وجود ندارد.", en=f"The folder {folder} does not exist.")
            )
        summary = day_summary(ctx.store, day, clerk_id)
        try:
            export_csv(summary, out, ctx.lang)
        except OSError as exc:  # a full disk, a file open in Excel: not the input's fault
            reason = exc.strerror or type(exc).__name__
            raise UserFacingError(
                Message(
                    fa=f"{args.out} نوشته نشد ({reason}).", en=f"Cannot write {args.out}: {reason}"
                )
            ) from None
        print(args.out)
        return EXIT_OK
    finally:
        ctx.close()


__all__ = [
    "EXIT_INVALID",
    "cmd_add_request",
    "cmd_export_day",
    "cmd_import_catalog",
    "cmd_init",
    "cmd_list",
    "draft_from_json",
]
