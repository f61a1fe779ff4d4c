"""The update notice strip: asks, lets a manager postpone, says plainly when it must."""

from __future__ import annotations

import datetime as dt

from pytestqt.qtbot import QtBot

from ui.update_notice import UpdateNotice
from updates.policy import READY_TO_RESTART, minimum_notice


def test_clerk_is_asked_and_may_choose_at_close(qtbot: QtBot) -> None:
    notice = UpdateNotice("fa", is_manager=False)
    qtbot.addWidget(notice)
    notice.show_ready()
    assert notice.isVisible() and notice.label.text() == READY_TO_RESTART.fa
    assert not notice.postpone_button.isVisible()  # a clerk cannot postpone
    with qtbot.waitSignal(notice.at_close):
        notice.close_button.click()
    assert not notice.isVisible()


def test_manager_postpones_but_not_past_the_minimum(qtbot: QtBot) -> None:
    notice = UpdateNotice("en", is_manager=True)
    qtbot.addWidget(notice)
    notice.show_ready()
    assert notice.postpone_button.isVisible()
    with qtbot.waitSignal(notice.postponed):
        notice.postpone_button.click()
    now = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    required = minimum_notice("1.0.0", "1.1.0", "2026-12-20T00:00:00+00:00", now=now)
    assert required is not None and required[0]
    notice.show_required(required[1])
    assert "must be updated" in notice.label.text()
    assert not notice.postpone_button.isVisible() and not notice.close_button.isVisible()
    with qtbot.waitSignal(notice.restart_now):
        notice.restart_button.click()
