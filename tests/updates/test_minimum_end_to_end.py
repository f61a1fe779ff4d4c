"""The centre's minimum version, from the clerk's side (issue 16): the real server's
heartbeat answer, a runner that staged 1.1.0 from the real repository over real HTTP, the
launcher, and the main window's strip (pytest-qt).

Before the centre's date the strip says by when and a manager may postpone (the staged
version then waits, at most a day, never past the date); from the date on nobody can, a
postponement saved before it stops holding, and the strip says plainly that the program
must update with "restart now" as the default button (Enter). A minimum already installed
says nothing."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from desktop.updater import CHECK_EVERY_S, REQUIRED_CHECK_EVERY_S, UpdateRunner, work_waiting
from sync.events import HeartbeatSent
from sync.protocol import Heartbeat, HeartbeatResponse
from tests.support.server import start_server
from tests.support.waiting import wait_until
from tests.ui.conftest import make_ctx as make_ctx  # fixtures, re-exported
from tests.ui.conftest import manager_ctx as manager_ctx
from tests.ui.conftest import office_store as office_store
from tests.ui.conftest import persian_ui as persian_ui
from tests.ui.conftest import store_templates as store_templates
from tests.ui.conftest import themed_app as themed_app
from tests.ui.conftest import ui_ctx as ui_ctx
from tests.ui.conftest import ui_data_dir as ui_data_dir
from tests.updates.conftest import Published, make_bundle
from ui.context import AppContext
from ui.mainwindow import MainWindow
from updates.launcher import choose
from updates.pointer import HOLD_NAME, READY, UP_TO_DATE, Hold, Pointer
from updates.policy import READY_TO_RESTART, CentreMinimum, minimum_notice
from updates.policy_state import POSTPONE_FOR, PolicyState, read_minimum

DATE = dt.datetime(2026, 12, 20, 8, 30, tzinfo=dt.UTC)  # 12:00 in Tehran, 1405/09/29
BEFORE = DATE - dt.timedelta(hours=10)
AFTER = DATE + dt.timedelta(minutes=1)


CENTRE_SETTINGS = {
    "due": ("1.1.0", DATE.isoformat()),
    "met": ("1.0.0", None),
    "older": ("0.9.0", None),
}


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> dict[str, HeartbeatResponse]:
    """What the real server answers a PC's heartbeat when the centre set each minimum."""
    answers = {}
    for name, (minimum, after) in CENTRE_SETTINGS.items():
        args = ["--minimum-version", minimum]
        args += ["--minimum-version-after", after] if after else []
        folder = tmp_path_factory.mktemp(f"centre-{name}")
        with start_server(folder, extra_args=tuple(args)) as server:
            device = server.enrol(server.add_office().code)
            answer = server.session.post(
                server.url("/v1/heartbeat"),
                data=msgspec.json.encode(Heartbeat(queue_depth=0, app_version="1.0.0")),
                headers={**device.headers, "Content-Type": "application/json"},
                timeout=30,
            )
        assert answer.status_code == 200, answer.text
        answers[name] = msgspec.json.decode(answer.content, type=HeartbeatResponse)
    assert answers["due"].minimum_version_after is not None
    return answers


def minimum_of(answer: HeartbeatResponse) -> CentreMinimum:
    return CentreMinimum(answer.minimum_version, answer.minimum_version_after)


def heard(answer: HeartbeatResponse) -> HeartbeatSent:
    """The sync engine's event for that answer, as the window receives it."""
    return HeartbeatSent(0, answer.minimum_version, answer.minimum_version_after)


def staged_runner(published: Published, tmp_path: Path, name: str = "Pishkhan") -> UpdateRunner:
    """A PC on 1.0.0 whose runner staged 1.1.0 from the real repository."""
    root = tmp_path / "Programs" / name
    if not root.exists():
        shutil.copytree(published.old, root, symlinks=True)
    runner = UpdateRunner(
        root=root,
        installed_version="1.0.0",
        base_url=published.base_url,
        trusted_root=published.repo.trusted_root(),
        waiting=lambda: 0,
        check_every_s=0.0,
    )
    if runner.status.state != READY:
        assert runner.step().state == READY
    return runner


def hold_on_disk(root: Path) -> Hold | None:
    return Hold.read(root)


# -- the words -------------------------------------------------------------------------


def test_before_the_date_it_says_by_when_in_each_language_s_calendar() -> None:
    said = minimum_notice("1.0.0", "1.1.0", DATE.isoformat(), now=BEFORE)
    assert said is not None and said[0] is False
    # Jalali in Tehran in Persian, Gregorian in English; versions and dates isolated.
    assert "\u2068۱۴۰۵/۰۹/۲۹\u2069" in said[1].fa and "\u2068۱.۱.۰\u2069" in said[1].fa
    assert "by 2026-12-20" in said[1].en and "1.1.0" in said[1].en


def test_after_the_date_it_says_must_and_whether_a_restart_installs_it() -> None:
    fetching = minimum_notice("1.0.0", "1.1.0", DATE.isoformat(), now=AFTER)
    assert fetching is not None and fetching[0] is True
    assert "must be updated to 1.1.0" in fetching[1].en and "being downloaded" in fetching[1].en
    ready = minimum_notice("1.0.0", "1.1.0", DATE.isoformat(), now=AFTER, ready="1.1.0")
    assert ready is not None and "press Restart now (Enter)" in ready[1].en
    assert "باید به‌روز شود" in ready[1].fa and "\u2068۱.۱.۰\u2069" in ready[1].fa
    # A staged version still below the minimum does not satisfy it: no "restart".
    older = minimum_notice("1.0.0", "1.2.0", DATE.isoformat(), now=AFTER, ready="1.1.0")
    assert older is not None and "being downloaded" in older[1].en


def test_a_minimum_installed_already_or_older_says_nothing() -> None:
    for minimum in ("1.0.0", "0.9.9", ""):
        assert minimum_notice("1.0.0", minimum, DATE.isoformat(), now=AFTER) is None
        assert not CentreMinimum(minimum, DATE.isoformat()).required("1.0.0", AFTER)
    # A date without a zone is read as UTC rather than failing to compare.
    naive = minimum_notice("1.0.0", "1.1.0", "2026-12-20T08:30:00", now=AFTER)
    assert naive is not None and naive[0] is True


# -- the updater's postponement --------------------------------------------------------


def test_a_postponement_holds_the_switch_a_day_and_then_the_launcher_switches(
    published: Published, tmp_path: Path
) -> None:
    runner = staged_runner(published, tmp_path)
    root = runner.root
    assert runner.postpone(BEFORE)
    runner.policy.close()  # the writer thread has written the hold
    hold = hold_on_disk(root)
    assert hold == Hold("1.1.0", BEFORE + POSTPONE_FOR)
    assert runner.postponed(BEFORE + dt.timedelta(hours=23))
    # The launcher keeps 1.0.0 while the hold lasts; the staged version waits for it.
    assert choose(root, "pishkhan", now=BEFORE + dt.timedelta(hours=23)) == root
    assert Pointer.read(root).pending == "1.1.0"
    assert not runner.postponed(BEFORE + POSTPONE_FOR)
    assert choose(root, "pishkhan", now=BEFORE + POSTPONE_FOR) == root / "versions" / "1.1.0"


def test_past_the_centres_date_a_saved_postponement_stops_holding(
    published: Published, tmp_path: Path, centre: dict[str, HeartbeatResponse]
) -> None:
    runner = staged_runner(published, tmp_path)
    root = runner.root
    assert runner.postpone(BEFORE)  # a day from BEFORE: past DATE
    # Then the heartbeat's answer brings the centre's minimum, due before the day ends.
    minimum = minimum_of(centre["due"])
    runner.policy.centre_minimum(minimum, BEFORE)
    runner.policy.close()
    assert hold_on_disk(root) == Hold("1.1.0", DATE)  # clipped to the date
    assert read_minimum(root) == minimum  # saved: known at the next start, offline
    assert runner.postponed(BEFORE + dt.timedelta(hours=9))
    assert not runner.postponed(AFTER) and runner.policy.required(AFTER)
    assert not runner.postpone(AFTER)  # nobody postpones past the date
    # The PC restarts offline after the date: the launcher switches, whatever was saved.
    assert choose(root, "pishkhan", now=AFTER) == root / "versions" / "1.1.0"


def test_a_minimum_already_past_its_date_ends_a_postponement_at_once(
    published: Published, tmp_path: Path, centre: dict[str, HeartbeatResponse]
) -> None:
    runner = staged_runner(published, tmp_path)
    assert runner.postpone(BEFORE)
    runner.policy.centre_minimum(minimum_of(centre["due"]), AFTER)
    runner.policy.close()
    assert not (runner.root / "versions" / HOLD_NAME).exists()
    assert not runner.postponed(AFTER) and not runner.postpone(AFTER)


def test_a_new_minimum_asks_for_one_check_not_one_per_heartbeat(tmp_path: Path) -> None:
    checks: list[int] = []
    policy = PolicyState(tmp_path, "1.0.0", on_new_unmet=lambda: checks.append(1))
    try:
        for _ in range(3):  # the same answer at every round
            policy.centre_minimum(CentreMinimum("1.1.0", DATE.isoformat()), BEFORE)
        assert checks == [1]
        policy.centre_minimum(CentreMinimum("1.0.0", None), BEFORE)  # met: no check
        policy.centre_minimum(CentreMinimum("1.2.0", None), BEFORE)
        assert checks == [1, 1]
        with pytest.raises(ValueError):
            policy.centre_minimum(CentreMinimum("1.x", None), BEFORE)
        assert policy.minimum == CentreMinimum("1.2.0", None)  # an unreadable one changes nothing
    finally:
        policy.close()


def test_past_the_date_a_pc_below_the_minimum_looks_for_it_every_half_hour(
    published: Published, tmp_path: Path
) -> None:
    root = tmp_path / "Programs" / "Pishkhan"
    shutil.copytree(published.new, root, symlinks=True)  # 1.1.0: the latest published
    ticks, now = [0.0], [BEFORE]
    runner = UpdateRunner(
        root=root,
        installed_version="1.1.0",
        base_url=published.base_url,
        trusted_root=published.repo.trusted_root(),
        waiting=lambda: 0,
        check_every_s=CHECK_EVERY_S,
        monotonic=lambda: ticks[0],
        clock=lambda: now[0],
    )
    # The centre asks for 1.2.0 before publishing it: the check it prompts finds nothing.
    runner.policy.centre_minimum(CentreMinimum("1.2.0", DATE.isoformat()), BEFORE)
    assert runner.step().state == UP_TO_DATE
    published.repo.publish(make_bundle(tmp_path / "b3", "1.2.0", changed=b"1.2.0" * 40), "1.2.0")
    ticks[0] = REQUIRED_CHECK_EVERY_S + 1
    assert runner.step().state == UP_TO_DATE  # before the date: every 6 hours, as always
    now[0] = AFTER
    status = runner.step()
    assert (status.state, status.version) == (READY, "1.2.0")
    runner.stop()


# -- the strip -------------------------------------------------------------------------


class _Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def staged_window(
    manager_ctx: AppContext, published: Published, tmp_path: Path, qtbot: QtBot
) -> Iterator[tuple[MainWindow, _Clock, list[list[str]]]]:
    manager_ctx.updates = staged_runner(published, tmp_path)
    window = MainWindow(manager_ctx)
    qtbot.addWidget(window)
    clock = _Clock(BEFORE)
    presenter = window._updates
    presenter._clock = clock
    started: list[list[str]] = []
    presenter.start_detached = lambda command: started.append(command) or True
    window.resize(1366, 768)
    window.show()
    yield window, clock, started
    manager_ctx.updates.stop()


def test_the_manager_postpones_before_the_date_and_cannot_after_it(
    staged_window: tuple[MainWindow, _Clock, list[list[str]]],
    manager_ctx: AppContext,
    tmp_path: Path,
    qtbot: QtBot,
    centre: dict[str, HeartbeatResponse],
) -> None:
    window, clock, started = staged_window
    notice, presenter, runner = window.update_notice, window._updates, manager_ctx.updates
    assert runner is not None
    presenter.poll()
    assert notice.isVisible() and notice.label.text() == READY_TO_RESTART.fa
    presenter._on_sync_event(heard(centre["due"]))
    assert notice.postpone_button.isVisible()
    notice.postpone_button.click()
    assert notice.isHidden() and runner.postponed(clock.now)
    clock.now = BEFORE + dt.timedelta(hours=9)
    presenter.poll()
    assert notice.isHidden()  # postponed: not asked again within the day
    # The date passes with no heartbeat (the line is down): the strip says it must.
    clock.now = AFTER
    presenter.poll()
    assert not notice.isHidden() and notice.required
    assert "باید به‌روز شود" in notice.label.text() and "\u2068۱.۱.۰\u2069" in notice.label.text()
    for button in (notice.postpone_button, notice.close_button):
        assert not button.isVisibleTo(window)
    assert notice.restart_button.isVisibleTo(window) and notice.restart_button.isDefault()
    assert window.focusWidget() is notice.restart_button
    qtbot.keyClick(notice.restart_button, Qt.Key.Key_Return)  # Enter restarts
    assert started == [[str(runner.root / "pishkhan")]]


def test_must_update_while_typing_keeps_the_field_and_says_when_it_is_still_coming(
    ui_ctx: AppContext,
    published: Published,
    tmp_path: Path,
    centre: dict[str, HeartbeatResponse],
    qtbot: QtBot,
) -> None:
    root = tmp_path / "Programs" / "Pishkhan"
    shutil.copytree(published.old, root, symlinks=True)
    runner = ui_ctx.updates = UpdateRunner(
        root=root,
        installed_version="1.0.0",
        base_url=published.base_url,
        trusted_root=published.repo.trusted_root(),
        waiting=lambda: work_waiting(ui_ctx.store),
        check_every_s=3600.0,
    )
    try:
        window = MainWindow(ui_ctx)
        qtbot.addWidget(window)
        window._updates._clock = _Clock(AFTER)
        window.show()
        notice = window.update_notice
        window._updates._on_sync_event(heard(centre["due"]))
        # Nothing staged yet: it says it must, and that the update is on its way.
        assert notice.required and not notice.restart_button.isVisibleTo(window)
        assert "به‌روزرسانی در حال دریافت است" in notice.label.text()
        # The clerk types in the form; then the runner (asked to check at once) stages it.
        typing = window.findChild(QLineEdit, "serviceSearch")
        assert typing is not None
        typing.setFocus()
        typing.setText("قبض")
        runner.start()
        runner.idle()
        wait_until(lambda: runner.status.state == READY, 60, what="no update staged")
        qtbot.waitUntil(lambda: notice.restart_button.isVisibleTo(window), timeout=5_000)
        assert "(Enter)" in notice.label.text()
        assert window.focusWidget() is typing  # the strip does not take it mid-typing
    finally:
        runner.stop()


def test_a_restarted_pc_knows_the_minimum_before_any_heartbeat(
    manager_ctx: AppContext,
    published: Published,
    tmp_path: Path,
    centre: dict[str, HeartbeatResponse],
    qtbot: QtBot,
) -> None:
    first = staged_runner(published, tmp_path)
    first.policy.centre_minimum(minimum_of(centre["due"]), BEFORE)
    assert first.postpone(BEFORE)
    first.stop()
    # Next start, offline, after the date: a new runner on the same folder.
    manager_ctx.updates = staged_runner(published, tmp_path)
    try:
        window = MainWindow(manager_ctx)
        qtbot.addWidget(window)
        window._updates._clock = _Clock(AFTER)
        window._updates.poll()
        notice = window.update_notice
        assert notice.required and not notice.postpone_button.isVisibleTo(window)
    finally:
        manager_ctx.updates.stop()


def test_a_minimum_installed_already_leaves_the_strip_alone(
    manager_ctx: AppContext,
    published: Published,
    tmp_path: Path,
    qtbot: QtBot,
    centre: dict[str, HeartbeatResponse],
) -> None:
    # The centre asks for 1.1.0 from DATE on; this PC runs 1.1.0, then 1.2.0.
    checks: list[int] = []
    for installed in ("1.1.0", "1.2.0"):
        root = tmp_path / installed / "Pishkhan"
        shutil.copytree(published.new, root, symlinks=True)
        manager_ctx.updates = UpdateRunner(
            root=root,
            installed_version=installed,
            base_url=published.base_url,
            trusted_root=published.repo.trusted_root(),
            waiting=lambda: 0,
            check_every_s=3600.0,
        )
        manager_ctx.updates.policy._on_new_unmet = lambda: checks.append(1)
        try:
            window = MainWindow(manager_ctx)
            qtbot.addWidget(window)
            window._updates._clock = _Clock(AFTER)
            window._updates._on_sync_event(heard(centre["due"]))
            assert window.update_notice.isHidden() and not window.update_notice.required
            assert not manager_ctx.updates.policy.required(AFTER) and checks == []
        finally:
            manager_ctx.updates.stop()
