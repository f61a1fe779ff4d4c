"""This installation's identity: the office it serves and this PC (device, counter number).

``set_up`` is the one way a PC is set up (the ``init`` command and the window's set-up
wizard): every value is checked first, then the office, this PC, the office manager's
account and the starting catalogue are written in one transaction, so a refused value
never leaves a PC half set up. A PC that an older program left half set up (office and
device, no account) is finished by the same call.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import audit
from desktop.audit import Action
from desktop.catalog_store import add_version
from desktop.clerks import ClerkDirectory, ClerkInfo, account_problems
from desktop.clock import Clock, utc_now
from desktop.db.engine import Store
from desktop.db.models import CatalogVersion, Clerk, Device, Office
from rules.catalog import demo_catalog_path, load_catalog_file
from rules.errors import UserFacingError
from rules.messages import CONTROL_CHARACTERS, Message
from rules.normalize import has_control_characters, normalize_letters, to_ascii_digits


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    office_code: str
    office_name: str
    counter_no: int
    name: str
    server_url: str | None
    enrolled: bool


class SetupError(UserFacingError):
    pass


class SetupFailed(SetupError):
    """Set-up refused before anything was written; ``.problems`` names each bad value.

    Keys: ``office_code``, ``office_name``, ``counter_no`` (the office part), ``username``,
    ``display_name``, ``password`` (the manager's account), ``set_up`` (the PC as a whole).
    """

    def __init__(self, problems: Mapping[str, Message]) -> None:
        self.problems = dict(problems)
        first = next(iter(self.problems.values()))
        super().__init__(first, detail=", ".join(self.problems))


OFFICE_KEYS = ("office_code", "office_name", "counter_no")
MANAGER_KEYS = ("username", "display_name", "password")

ALREADY_SET_UP = Message(fa="این رایانه قبلاً راه‌اندازی شده است.", en="This PC is already set up.")


@dataclass(frozen=True)
class SetupForm:
    """What the person setting the PC up typed (raw text; checked by :func:`set_up`)."""

    office_code: str
    office_name: str
    counter_no: str
    manager_username: str
    manager_name: str
    password: str
    device_name: str = ""


@dataclass(frozen=True)
class SetupResult:
    device: DeviceInfo
    manager: ClerkInfo


def this_device(store: Store) -> DeviceInfo | None:
    with store.read() as s:
        row = s.execute(select(Device, Office).join(Office)).first()
        if row is None:
            return None
        device, office = row
        return DeviceInfo(
            device.id,
            office.code,
            office.name,
            device.counter_no,
            device.name,
            device.server_url,
            device.enrolled_at is not None,
        )


def office_problems(
    office_code: object, office_name: object, counter_no: object
) -> tuple[dict[str, Message], tuple[str, str, int]]:
    """The office part's problems, and its canonical values (code, name, counter)."""
    problems: dict[str, Message] = {}
    code = to_ascii_digits(str(office_code)).strip()
    if not (code.isascii() and code.isdigit()) or not 1 <= len(code) <= 8:
        problems["office_code"] = Message(
            fa="کد دفتر باید یک عدد تا ۸ رقمی باشد.",
            en="The office code is a number of up to 8 digits.",
        )
    counter_text = to_ascii_digits(str(counter_no)).strip()
    counter = int(counter_text) if counter_text.isascii() and counter_text.isdigit() else 0
    if not 1 <= counter <= 99 or len(counter_text) > 2:
        problems["counter_no"] = Message(
            fa="شمارهٔ باجه عددی بین ۱ و ۹۹ است.", en="The counter number is between 1 and 99."
        )
    name = normalize_letters(str(office_name))
    if not name:
        problems["office_name"] = Message(fa="نام دفتر را وارد کنید.", en="Enter the office name.")
    elif len(name) > 200:
        problems["office_name"] = Message(
            fa="نام دفتر بیش از ۲۰۰ نویسه است.", en="The office name is over 200 characters."
        )
    elif has_control_characters(name):
        problems["office_name"] = CONTROL_CHARACTERS
    return problems, (code, name, counter)


def setup_problems(form: SetupForm) -> dict[str, Message]:
    """Every problem of the form's values (keys as in ``SetupFailed``), without the store."""
    problems, _ = office_problems(form.office_code, form.office_name, form.counter_no)
    problems.update(account_problems(form.manager_username, form.manager_name, form.password))
    return problems


def set_up(
    store: Store,
    form: SetupForm,
    *,
    clock: Clock = utc_now,
    directory: ClerkDirectory | None = None,
) -> SetupResult:
    """Set this PC up: office, device, the manager's account and the starting catalogue.

    All or nothing: every value is checked before the write, and the write is one
    transaction. ``SetupFailed`` lists every refused value (nothing written then);
    a PC already set up is refused with ``SetupFailed({"set_up": ...})``. On a PC left
    half set up (office and device, no account) the office part must name the same
    office and counter; only the account and the catalogue are added.
    """
    problems = setup_problems(form)
    if problems:
        raise SetupFailed(problems)
    _, (code, name, counter) = office_problems(form.office_code, form.office_name, form.counter_no)
    directory = directory or ClerkDirectory(store, clock=clock)
    catalog = load_catalog_file(demo_catalog_path())  # read before the write lock is taken
    with store.write() as s:
        if s.scalar(select(func.count(Clerk.id))):
            raise SetupFailed({"set_up": ALREADY_SET_UP})
        device = s.scalar(select(Device))
        if device is None:
            _record_office(s, code, name, counter, form.device_name, clock)
        elif device.office_code != code or device.counter_no != counter:
            raise SetupFailed(
                {
                    "office_code": Message(
                        fa=f"این رایانه پیش‌تر برای دفتر {device.office_code}، باجهٔ "
                        f"{device.counter_no} ثبت شده است؛ همان را وارد کنید.",
                        en=f"This PC was recorded for office {device.office_code}, counter "
                        f"{device.counter_no}; enter those.",
                    )
                }
            )
        manager = directory.create_manager_in(
            s, form.manager_username, form.manager_name, form.password
        )
        if s.scalar(select(func.count(CatalogVersion.version))) == 0:
            add_version(s, catalog, source="demo", at=clock())
    info = this_device(store)
    assert info is not None
    return SetupResult(info, manager)


def _record_office(
    s: Session, code: str, name: str, counter: int, device_name: str, clock: Clock
) -> None:
    s.add(Office(code=code, name=name))
    s.flush()  # no ORM relationship orders these two inserts: the office goes first
    s.add(
        Device(
            id=str(uuid.uuid4()),
            office_code=code,
            counter_no=counter,
            name=normalize_letters(device_name),
            next_seq=1,
            created_at=clock(),
        )
    )
    s.flush()
    audit.record(s, Action.OFFICE_INITIALISED, at=clock(), office=code, counter=counter)


def initialise(
    store: Store,
    *,
    office_code: str,
    office_name: str,
    counter_no: int | str,
    device_name: str = "",
    clock: Clock = utc_now,
) -> DeviceInfo:
    """Record the office and this PC alone, without an account (tests and tools that
    build a store piece by piece; a PC is set up with :func:`set_up`)."""
    problems, (code, name, counter) = office_problems(office_code, office_name, counter_no)
    if problems:
        raise SetupError(next(iter(problems.values())))
    with store.write() as s:
        if s.scalar(select(Device.id)) is not None:
            raise SetupError(ALREADY_SET_UP)
        _record_office(s, code, name, counter, device_name, clock)
    info = this_device(store)
    assert info is not None
    return info
