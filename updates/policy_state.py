"""One PC's update policy state: the centre's minimum version and a manager's postponement.

- The centre's minimum (``updates.policy.CentreMinimum``, from the heartbeat's answer) is
  saved in ``update-state/minimum.json``, so that a PC started offline after the date
  still knows it must update, before any heartbeat gets through.
- A manager's "later" is a ``updates.pointer.Hold``: the launcher does not switch to the
  staged version, and the strip does not ask again, until it ends. It lasts a day at most
  and never past the centre's date: clipped when made and again whenever a minimum
  arrives, removed once the date has passed, and past the date nobody can postpone.

Called on the GUI thread (the strip, the heartbeat's event); the small files are written
by a writer thread of their own, in order, so that the GUI never waits on the disk.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from updates.pointer import STATE_DIR, Hold, write_json
from updates.policy import CentreMinimum, minimum_date

log = logging.getLogger("pishkhan.updates")

MINIMUM_NAME = "minimum.json"
#: How long a manager's "later" holds the switch (never past the centre's date).
POSTPONE_FOR = dt.timedelta(days=1)
_ALWAYS = dt.datetime.min.replace(tzinfo=dt.UTC)


def read_minimum(root: Path) -> CentreMinimum | None:
    """The centre's minimum saved by an earlier run (None: none known, or unreadable)."""
    try:
        data = json.loads((root / STATE_DIR / MINIMUM_NAME).read_text(encoding="utf-8"))
        after = data.get("after")
        return CentreMinimum(str(data["version"]), None if after is None else str(after))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _write_minimum(root: Path, minimum: CentreMinimum) -> None:
    write_json(root / STATE_DIR, MINIMUM_NAME, {"version": minimum.version, "after": minimum.after})


class PolicyState:
    """The minimum and the postponement of the program installed in ``root``."""

    def __init__(
        self, root: Path, installed_version: str, *, on_new_unmet: Callable[[], None]
    ) -> None:
        self.root = root
        self.installed_version = installed_version
        self._on_new_unmet = on_new_unmet
        self._minimum = read_minimum(root)
        self._hold = Hold.read(root)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pishkhan-update-files")

    @property
    def minimum(self) -> CentreMinimum | None:
        return self._minimum

    @property
    def hold(self) -> Hold | None:
        return self._hold

    def centre_minimum(self, minimum: CentreMinimum, now: dt.datetime) -> None:
        """The heartbeat's answer named ``minimum``: saved, a postponement clipped to its
        date (ended, past it), and ``on_new_unmet`` when it is new and not met. ValueError
        for a version or a date that cannot be read (nothing changes then)."""
        unmet = minimum.unmet_by(self.installed_version)
        minimum_date(minimum.after)
        if minimum != self._minimum:
            self._minimum = minimum
            self._write_later(_write_minimum, self.root, minimum)
            if unmet:
                # Once per new minimum, not at every heartbeat: 16,000 PCs behind a minimum
                # not yet published must not all refresh their metadata every round.
                self._on_new_unmet()
        self._clip_hold(now)

    def required(self, now: dt.datetime) -> bool:
        """The centre's date has passed and this version is below its minimum."""
        minimum = self._minimum
        return minimum is not None and minimum.required(self.installed_version, now)

    def postpone(self, staged: str | None, now: dt.datetime) -> bool:
        """A manager's "later" for the ``staged`` version; False (nothing held) when
        nothing is staged or the centre's date has passed."""
        if staged is None or self.required(now):
            return False
        until = now + POSTPONE_FOR
        date = self._date_unmet()
        if date is not None:
            until = min(until, date)
        self._set_hold(Hold(staged, until))
        return True

    def postponed(self, staged: str | None, now: dt.datetime) -> bool:
        """A manager's postponement of ``staged`` holds now (never past the date)."""
        hold = self._hold
        if hold is None or self.required(now):
            return False
        return hold.holds(staged, now)

    def close(self) -> None:
        """Waits for the few small files on their way (at quit)."""
        self._writer.shutdown(wait=True)

    def _date_unmet(self) -> dt.datetime | None:
        minimum = self._minimum
        if minimum is None or not minimum.unmet_by(self.installed_version):
            return None
        return minimum_date(minimum.after) or _ALWAYS

    def _clip_hold(self, now: dt.datetime) -> None:
        hold, date = self._hold, self._date_unmet()
        if hold is None or date is None:
            return
        if date <= now:
            self._set_hold(None)  # past the date, a postponement made before it ends
        elif hold.until > date:
            self._set_hold(Hold(hold.version, date))

    def _set_hold(self, hold: Hold | None) -> None:
        self._hold = hold
        if hold is None:
            self._write_later(Hold.clear, self.root)
        else:
            self._write_later(hold.write, self.root)

    def _write_later(self, write: Callable[..., None], *args: object) -> None:
        def run() -> None:
            try:
                write(*args)
            except OSError:
                log.exception("could not save the update policy in %s", self.root)

        try:
            self._writer.submit(run)
        except RuntimeError:  # after close(): the program is closing, so here
            run()
