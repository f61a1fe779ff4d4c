"""The checks ``doctor`` runs, one area each; every problem goes into the report with a
machine code and what to do, in Persian and English (see ``desktop.doctor``)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop.config import SETTINGS_FILE, Settings

if TYPE_CHECKING:
    from desktop.doctor import DoctorReport

log = logging.getLogger("pishkhan.doctor")


def read_only_facts(database: Path, report: DoctorReport, key: bytes | None = None) -> None:
    """What can still be read when the store does not open (a full disk: WAL needs to
    write): the file as it is on disk, read-only and immutable (the WAL's last commits
    are not seen), so the person fixing the PC sees what is at stake."""
    from desktop.db.driver import DB_ERRORS, connect

    try:
        conn = connect(f"file:{database}?mode=ro&immutable=1", key=key, uri=True)
        try:
            facts = report.facts
            facts["integrity"] = conn.execute("PRAGMA quick_check").fetchone()[0]
            facts["requests"] = conn.execute("SELECT count(*) FROM requests").fetchone()[0]
            facts["waiting"] = conn.execute(
                "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sending')"
            ).fetchone()[0]
            facts["read_only"] = True
        finally:
            conn.close()
    except DB_ERRORS as exc:
        log.warning("the database cannot be read either: %s", exc)


def check_settings(data_dir: Path, report: DoctorReport) -> None:
    path = data_dir / SETTINGS_FILE
    if not path.exists():
        return
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError("not an object")
    except (OSError, ValueError) as exc:
        report.problem(
            "settings_unreadable",
            f"پروندهٔ تنظیمات ({path}) خوانده نمی‌شود ({exc})؛ برنامه با تنظیمات پیش‌فرض کار "
            "می‌کند (نشانی سرور، زبان، چاپگر). آن را درست کنید یا بردارید و دوباره تنظیم کنید.",
            f"The settings file ({path}) does not read ({exc}); the program runs on the "
            "defaults (server address, language, printer). Repair it, or remove it and set "
            "them again.",
        )


def check_set_up(
    report: DoctorReport,
    device: Any,
    devices: int,
    clerks: int,
    managers: int,
    catalog_version: int | None,
) -> None:
    if device is None and devices:
        report.problem(
            "device_without_office",
            "این رایانه ثبت شده ولی دفتر آن در پایگاه داده نیست.",
            "This PC is recorded but its office is missing from the database.",
        )
    elif device is None:
        report.problem(
            "not_set_up",
            "این رایانه راه‌اندازی نشده است (دفتر و باجه ندارد). آن را با فرمان init یا "
            "پنجرهٔ راه‌اندازی برنامه راه‌اندازی کنید.",
            "This PC is not set up (no office, no counter). Set it up with the init command "
            "or the program's set-up window.",
        )
    if device is not None and not clerks:
        report.problem(
            "no_manager",
            "این رایانه حساب مدیر ندارد (راه‌اندازی نیمه‌کاره مانده است) و کسی نمی‌تواند وارد "
            "شود. init را با همان کد دفتر و شمارهٔ باجه دوباره اجرا کنید یا برنامه را باز "
            "کنید تا حساب مدیر ساخته شود.",
            "This PC has no manager's account (its set-up was left half done): nobody can "
            "log in. Run init again with the same office code and counter, or start the "
            "program, to create the manager's account.",
        )
    elif clerks and not managers:
        report.problem(
            "no_active_manager",
            "هیچ حساب مدیر فعالی نیست: افزودن کارمند، بستن روز و ثبت در سرور ممکن نیست.",
            "No active manager's account: nobody can add clerks, close the day or enrol.",
        )
    if clerks and device is None:
        report.problem(
            "accounts_without_device",
            "حساب کاربری هست ولی این رایانه ثبت نشده است؛ درخواستی ذخیره نمی‌شود.",
            "There are accounts but this PC is not recorded: no request can be saved.",
        )
    if device is not None and catalog_version is None:
        report.problem(
            "no_catalog",
            "فهرست خدمات نیست و فرم درخواست خالی می‌ماند. با import-catalog یا همگام‌سازی "
            "آن را بگیرید.",
            "There is no service catalogue: the request form stays empty. Import one "
            "(import-catalog) or sync.",
        )


def check_enrolment(store: Any, data_dir: Path, device: Any, report: DoctorReport) -> None:
    from desktop.outbox import StoreQueue
    from sync.credentials import credential_store

    server_url = str(Settings(data_dir).get("server_url")) or device.server_url or ""
    token = credential_store(data_dir, device.id).get()
    if device.enrolled and not server_url:
        report.problem(
            "enrolled_without_server",
            "این رایانه ثبت‌شده است ولی نشانی سرور مرکزی را ندارد؛ همگام‌سازی نمی‌شود. دوباره "
            "با کد تازه ثبت کنید (enrol).",
            "This PC is enrolled but has no server address: it cannot sync. Enrol again "
            "with a new code (enrol).",
        )
    if device.enrolled and not token:
        report.problem(
            "enrolled_without_token",
            "این رایانه ثبت‌شده است ولی کلید دستگاه آن پیدا نشد (پوشهٔ داده کپی شده یا انبار "
            "گذرواژه‌ها پاک شده است)؛ همگام‌سازی نمی‌شود. با کد تازه دوباره ثبت کنید.",
            "This PC is enrolled but its device token is missing (a copied data folder, a "
            "wiped credential store): it cannot sync. Enrol again with a new code.",
        )
    if token and not device.enrolled:
        report.problem(
            "enrolment_interrupted",
            "این رایانه کلید دستگاه دارد ولی ثبت آن کامل نشده است (ثبت نیمه‌کاره قطع شده). "
            "با کد تازه دوباره ثبت کنید.",
            "This PC holds a device token but its enrolment was not completed (it was "
            "interrupted). Enrol again with a new code.",
        )
    if StoreQueue(store).load_state().needs_reenrolment:
        report.problem(
            "needs_reenrolment",
            "سرور مرکزی کلید این رایانه را نمی‌پذیرد؛ درخواست‌ها در صف می‌مانند و از دست "
            "نمی‌روند. از دفتر مرکزی کد تازه بگیرید و دوباره ثبت کنید.",
            "The central server no longer accepts this PC's token; requests stay queued "
            "and are not lost. Ask the central office for a new code and enrol again.",
        )


def check_queue(store: Any, report: DoctorReport) -> None:
    db = store.raw_read()
    try:
        no_outbox = db.execute(
            "SELECT count(*) FROM requests r LEFT JOIN outbox o ON o.request_id = r.id"
            " WHERE o.request_id IS NULL"
        ).fetchone()[0]
        seq_min, seq_max, seq_count = db.execute(
            "SELECT min(seq), max(seq), count(*) FROM requests"
        ).fetchone()
        next_seq = db.execute("SELECT next_seq FROM devices").fetchone()
    finally:
        db.close()
    if no_outbox:
        report.problem(
            "outbox_missing",
            f"{no_outbox} درخواست در صف ارسال نیست و به مرکز نمی‌رسد.",
            f"{no_outbox} request(s) without an outbox entry: they never reach the centre.",
        )
    if seq_count and (seq_min != 1 or seq_max != seq_count):
        report.problem(
            "sequence_gaps",
            f"شماره‌گذاری درخواست‌ها فاصله دارد: {seq_count} درخواست با شمارهٔ "
            f"{seq_min} تا {seq_max}.",
            f"The sequence has gaps: {seq_count} requests numbered {seq_min}..{seq_max}.",
        )
    if next_seq is not None and seq_count and next_seq[0] != seq_max + 1:
        report.problem(
            "sequence_counter",
            f"شمارندهٔ این رایانه ({next_seq[0]}) پس از آخرین شماره ({seq_max}) نیست.",
            f"The device counter {next_seq[0]} does not follow the last number {seq_max}.",
        )


def cipher_errors() -> tuple[type[Exception], ...]:
    """SQLCipher's error classes (they do not derive from sqlite3's)."""
    from desktop.db.driver import DB_ERRORS

    return DB_ERRORS


def check_key_file(data_dir: Path, database: Path, report: DoctorReport) -> bool:
    """The encryption's state and its key file; False if the store cannot be opened at all
    (an encrypted database without its key file, a key file that does not read)."""
    from desktop import keyslots
    from desktop.db.driver import is_plain

    has_keys = keyslots.is_encrypted(data_dir)
    plain = is_plain(database)
    report.facts["encrypted"] = has_keys and not plain
    if not has_keys:
        if not plain and database.stat().st_size > 0:
            report.problem(
                "key_file_missing",
                f"پایگاه داده رمزگذاری شده ولی پروندهٔ کلیدهایش ({keyslots.KEYS_FILENAME}) "
                "نیست: بدون آن باز نمی‌شود. آن پرونده را از پشتیبان برگردانید؛ چیزی را پاک "
                "نکنید.",
                f"The database is encrypted but its key file ({keyslots.KEYS_FILENAME}) is "
                "missing: it cannot be opened without it. Restore that file from a backup; "
                "delete nothing.",
            )
            return False
        return True
    try:
        slots = keyslots.load(data_dir)
    except keyslots.KeySlotsDamaged as exc:
        report.problem("key_file_damaged", exc.message.fa, exc.message.en)
        return False
    report.facts["key_slots"] = sum(1 for s in slots.slots if s.kind == keyslots.CLERK)
    if plain:
        report.problem(
            "encryption_unfinished",
            "رمزگذاری پایگاه داده نیمه‌کاره مانده است؛ با ورود بعدی یک کاربر تمام می‌شود.",
            "The database's encryption was interrupted; it is finished at a user's next login.",
        )
    check_slots_awaiting(slots, report)
    report.facts["recovery_unseen"] = slots.recovery_unseen
    if slots.recovery_unseen:
        # A power cut before the key was shown (or its window closed unconfirmed).
        report.problem(
            "recovery_unseen",
            "کلید بازیابی هنوز به کسی نشان داده نشده است؛ ورود بعدی مدیر دفتر کلید تازه‌ای "
            "نشان می‌دهد (کلید پیشین از کار می‌افتد). مدیر آن را روی کاغذ بنویسد.",
            "The recovery key has not been shown yet; the manager's next login shows a new "
            "one (the old one stops working). The manager should write it on paper.",
        )
    if not slots.has_recovery():
        report.problem(
            "no_recovery_key",
            "کلید بازیابی ساخته نشده است: مدیر با فرمان set-password --new-recovery-key آن را "
            "بسازد و روی کاغذ نگه دارد.",
            "There is no recovery key: the manager should make one with set-password "
            "--new-recovery-key and keep it on paper.",
        )
    return True


def check_slots_awaiting(slots: Any, report: DoctorReport) -> None:
    """The clerks with no login since the encryption, from the key file's clear part only
    (user names and slot kinds, no password): a password-hash slot is only as strong as
    the old hash until its clerk's first login rewraps it (docs/SECURITY.md); an account
    left without a slot (a weak old hash) cannot open the store at all."""
    awaiting = list(slots.awaiting_first_login())
    without = list(slots.left_without_slot())
    report.facts["awaiting_first_login"] = awaiting
    report.facts["without_key"] = without
    if awaiting:
        fa_names, en_names = "، ".join(awaiting), ", ".join(awaiting)
        report.problem(
            "awaiting_first_login",
            f"این کاربران از زمان رمزگذاری وارد نشده‌اند: {fa_names}. تا ورود نخستشان کلید "
            "آن‌ها تنها به اندازهٔ چکیدهٔ قدیمی گذرواژه‌شان محکم است؛ هر کدام یک بار وارد شود، یا "
            "اگر دیگر کار نمی‌کند مدیر حسابش را غیرفعال کند.",
            f"These users have not logged in since the encryption: {en_names}. Until their "
            "first login their key is only as strong as their old password hash; each should "
            "log in once, or the manager should disable an account nobody uses.",
        )
    if without:
        fa_names, en_names = "، ".join(without), ", ".join(without)
        report.problem(
            "without_key",
            f"گذرواژهٔ قدیمی این کاربران پایگاه دادهٔ رمزگذاری‌شده را باز نمی‌کند: {fa_names}. "
            "مدیر دفتر برای هر کدام گذرواژهٔ تازه‌ای بگذارد.",
            f"These users' old passwords cannot open the encrypted database: {en_names}. "
            "The office manager should set a new password for each.",
        )
