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
    """The zstd dictionary a given server advertised, kept in ``path``."""

    def __init__(self, path: Path, server: str) -> None:
        self.path = path
        self.server = server
        self._lock = threading.Lock()  # calls answer on several threads

    def load(self, known: tuple[int, ...]) -> int | None:
        """The dictionary this server advertised last (if this side still has it)."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.info("ignoring %s: %s", self.path.name, exc)
            return None
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            return None
        if data.get("server") != self.server:
            return None  # another server: learn its codings afresh
        dict_id = data.get("zstd_dict")
        if isinstance(dict_id, int) and not isinstance(dict_id, bool) and dict_id in known:
            return dict_id
        return None

    def store(self, dict_id: int | None) -> None:
        """Remember ``dict_id`` (None: gzip) for this server; a failure only costs a gzip push."""
        record = {"format": _FORMAT, "server": self.server, "zstd_dict": dict_id}
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with self._lock:
            try:
                temporary.write_text(json.dumps(record), encoding="utf-8")
                os.replace(temporary, self.path)
            except OSError as exc:
                log.warning("could not remember the server's codings: %s", exc)
                temporary.unlink(missing_ok=True)
