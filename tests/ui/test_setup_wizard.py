"""The set-up wizard on a real store: all or nothing, each refusal shown in its part."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from desktop.db.engine import Store
from desktop.office import initialise, this_device
from tests.ui.conftest import MakeCtx
from ui.context import AppContext
from ui.setup_wizard import SetupWizard


def _fill(wizard: SetupWizard, password: str) -> None:
    wizard.office_code.setText("۱۲۳۴")
    wizard.office_name.setText("دفتر پیشخوان ۱۲۳۴")
    wizard.counter_no.setText("2")
    wizard.username.setText("modir")
    wizard.display_name.setText("مریم رحیمی")
    wizard.password.setText(password)
    wizard.password_again.setText(password)


def test_a_refused_password_leaves_nothing_written(qtbot: QtBot, fresh_ctx: AppContext) -> None:
    ctx = fresh_ctx
    wizard = SetupWizard(ctx)
    qtbot.addWidget(wizard)
    _fill(wizard, "short")
    wizard.counter_no.setText("100")
    wizard.finish.click()
    qtbot.waitUntil(lambda: not wizard.busy and wizard.manager_error.isVisibleTo(wizard))
    assert "۸" in wizard.manager_error.text()  # the password, in the manager's part
    assert "۹۹" in wizard.office_error.text()  # and the counter, in the office's part
    assert this_device(ctx.store) is None and not ctx.clerks.has_any()
    assert wizard.office_group.isEnabled()  # nothing was recorded: all of it stays editable

    _fill(wizard, "correct-horse")
    with qtbot.waitSignal(wizard.completed, timeout=5000) as done:
        wizard.finish.click()
    device, manager = done.args
    assert device.office_code == "1234" and device.counter_no == 2
    assert manager.is_manager and manager.username == "modir"


def test_a_pc_left_half_set_up_is_finished(
    qtbot: QtBot, make_ctx: MakeCtx, empty_store: Store
) -> None:
    initialise(empty_store, office_code="1234", office_name="دفتر قدیمی", counter_no=2)
    ctx = make_ctx(empty_store)
    ctx.device = this_device(empty_store)
    wizard = SetupWizard(ctx)
    qtbot.addWidget(wizard)
    assert not wizard.office_group.isEnabled()
    wizard.username.setText("modir")
    wizard.display_name.setText("مدیر")
    wizard.password.setText("correct-horse")
    wizard.password_again.setText("correct-horse")
    with qtbot.waitSignal(wizard.completed, timeout=5000) as done:
        wizard.finish.click()
    device, manager = done.args
    assert device.office_name == "دفتر قدیمی" and manager.is_manager
