"""What a write changed, said by the write itself (Anki's ``OpChanges``): no Qt here.

A write (a save, a correction, a sync round's results, a clerk account, a setting) is
run with the ``Changes`` it makes; the UI re-emits that value as a Qt signal
(``ui.worker.Worker.changed``) and each view refreshes itself when a part it shows was
touched (``worker.follow(view, lambda c: c.requests, view.refresh)``). No window
refreshes its neighbours by hand: a new view subscribes, and a new write says what it
changes, without either knowing the other.

The parts are coarse on purpose (as Anki's are): a view re-reads what it shows, which is
a few indexed rows, so telling it *which* rows would buy little and cost a second shape
of every record.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class Changes:
    """Which parts of the local store a write changed."""

    #: Request rows: new, corrected, a state, a tracking code (queue, detail, day close).
    requests: bool = False
    #: Something new waits to be sent: the sync should go soon, the backlog grew.
    outbox: bool = False
    #: The sync's own state: last contact, the error, an enrolment (the banner).
    sync_state: bool = False
    #: Clerk accounts (the accounts dialog, the login's list).
    clerks: bool = False
    #: The service catalogue (the form's services, labels in the queue).
    catalog: bool = False
    #: The program's settings (printing, language, intervals).
    settings: bool = False

    def __or__(self, other: Changes) -> Changes:
        if not isinstance(other, Changes):
            return NotImplemented
        return Changes(
            **{
                f.name: getattr(self, f.name) or getattr(other, f.name)
                for f in dataclasses.fields(self)
            }
        )

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) for f in dataclasses.fields(self))

    @property
    def backlog(self) -> bool:
        """Whether the counts of what waits and what needs the clerk may have moved."""
        return self.requests or self.outbox or self.sync_state


NOTHING = Changes()
#: ``Intake.save`` / ``Intake.correct``: a request and its outbox entry, one transaction.
REQUEST_SAVED = Changes(requests=True, outbox=True)
#: A sync round stored answers or feed changes (states, tracking codes, reasons).
SYNC_RESULTS = Changes(requests=True, sync_state=True)
#: An enrolment replaced the device's token and address.
ENROLLED = Changes(sync_state=True)
#: A clerk added, disabled, unlocked, or a password changed.
CLERKS_CHANGED = Changes(clerks=True)
#: A new catalogue version stored.
CATALOG_CHANGED = Changes(catalog=True)
#: The settings file written (the manager's settings dialog, the language).
SETTINGS_CHANGED = Changes(settings=True)

__all__ = [
    "CATALOG_CHANGED",
    "CLERKS_CHANGED",
    "ENROLLED",
    "NOTHING",
    "REQUEST_SAVED",
    "SETTINGS_CHANGED",
    "SYNC_RESULTS",
    "Changes",
]
