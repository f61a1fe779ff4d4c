"""What the central server said it accepts, remembered across runs (issue 11).

A client sends zstd only after an answer of the server advertised the dictionary
(``Accept-Encoding: zstd`` with ``Pishkhan-Zstd-Dicts``). Learnt afresh on every start,
the first pushes of a round left in gzip before any answer came back (the engine keeps two
on the wire); remembered here, from the enrolment answer on, the first push already goes
zstd. A server that later refuses zstd (415) or stops advertising it makes the client
forget it (and resend that body once in gzip): the remembered fact is only a hint.

The file is a small JSON object in the data folder, keyed by the server's address (another
server behind a changed setting learns afresh), written atomically (a temporary file then
``os.replace``). An unreadable, foreign or damaged file is simply ignored: the worst case is
one gzip push, as before.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger("pishkhan.sync")

#: The file's name in the data folder.
FILE_NAME = "server-codings.json"
_FORMAT = 1


class RememberedCodings:
    """The zstd dictionary and the protocol revision a given server advertised, kept in
    ``path`` (revision 3's pushes without hashes, like zstd, from the first push of a run)."""

    def __init__(self, path: Path, server: str) -> None:
        self.path = path
        self.server = server
        self._lock = threading.Lock()  # calls answer on several threads

    def load(self, known: tuple[int, ...]) -> tuple[int | None, int]:
        """The dictionary this server advertised last (if this side still has it), and the
        revision it said it takes (1 if not known: the PC learns it from an answer)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None, 1
        except (OSError, ValueError) as exc:
            log.info("ignoring %s: %s", self.path.name, exc)
            return None, 1
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return None, 1
        if data.get("server") != self.server:
            return None, 1  # another server: learn its codings afresh
        dict_id, revision = data.get("zstd_dict"), data.get("revision", 1)
        if not _is_int(revision) or not 1 <= revision <= 255:
            revision = 1
        if _is_int(dict_id) and dict_id in known:
            return dict_id, revision
        return None, revision

    def store(self, dict_id: int | None, revision: int) -> None:
        """Remember ``dict_id`` (None: gzip) and ``revision`` for this server; a failure only
        costs a gzip push, or one of revision 2."""
        record = {
            "format": _FORMAT,
            "server": self.server,
            "zstd_dict": dict_id,
            "revision": revision,
        }
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with self._lock:
            try:
                temporary.write_text(json.dumps(record), encoding="utf-8")
                os.replace(temporary, self.path)
            except OSError as exc:
                log.warning("could not remember the server's codings: %s", exc)
                temporary.unlink(missing_ok=True)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
