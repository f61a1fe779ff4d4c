"""The server's settings, each declared once with its default and meaning.

The command line fills them from options, falling back to environment variables
(``PISHKHAN_SERVER_DATABASE_URL``, ``PISHKHAN_SERVER_DATA_DIR``, ``PISHKHAN_ADMIN_TOKEN``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from server.db import default_database_url
from sync.protocol import LEAN_REVISION, MAX_BODY_BYTES, MAX_INFLATED_BYTES, MAX_ITEMS_PER_PUSH

ENV_DATABASE_URL = "PISHKHAN_SERVER_DATABASE_URL"
ENV_DATA_DIR = "PISHKHAN_SERVER_DATA_DIR"
ENV_ADMIN_TOKEN = "PISHKHAN_ADMIN_TOKEN"
DEFAULT_DATA_DIR = Path("pishkhan-server-data")


@dataclass(frozen=True)
class ServerSettings:
    data_dir: Path = DEFAULT_DATA_DIR
    """Folder for the default SQLite database and anything else the server keeps on disk."""
    database_url: str | None = None
    """SQLAlchemy URL; None means a SQLite file in ``data_dir``. PostgreSQL:
    ``postgresql+psycopg://user:password@127.0.0.1:5432/db``."""
    admin_token: str | None = None
    """Bearer token for /v1/admin/*; None turns the admin API off (401 to everyone)."""
    max_body_bytes: int = MAX_BODY_BYTES
    """Largest request body as sent (compressed); past it 413."""
    max_inflated_bytes: int = MAX_INFLATED_BYTES
    """Largest gzip body once inflated; past it 413."""
    max_items_per_push: int = MAX_ITEMS_PER_PUSH
    """Most items in one push; past it 413 ``too_many_items``."""
    protocol_revision: int = LEAN_REVISION
    """The newest revision of protocol 1 this server takes and says so (``Pishkhan-Revision``
    on every answer). 2 during a rolling upgrade to a server of revision 3: until every node
    runs it, no PC is told to send pushes without their hashes (docs/DEPLOYMENT.md)."""
    retry_after_seconds: int = 5
    """What a ``retry`` item answer tells the client to wait."""
    enrolment_code_ttl_hours: int = 72
    """How long a new enrolment code stays usable, unless given."""
    worker_threads: int = 6
    """Threads per server process running the routes (database work and the item checks).
    A push is CPU-bound Python: more threads than a few only take turns at the GIL, and
    with 40 (the default of the web stack) 50 PCs pushing at once ran 10-20% slower and
    with a longer p99 than with 6 (bench ingest, PostgreSQL, two processes)."""
    idle_timeout: float = 60.0
    """Seconds a connection may stay silent, new or between requests, before it is closed
    (rural links pay a round trip or more for every new connection: keep them a while)."""
    header_timeout: float = 20.0
    """Seconds from a request's first byte to the end of its headers (408 and closed)."""
    max_header_bytes: int = 16 * 1024
    """Largest request head (request line and headers); past it 431 and closed."""
    body_idle_timeout: float = 30.0
    """Seconds a request body may stop arriving before the server gives up (408, closed);
    the client's own limit is 15 s per 16 KiB piece."""
    auth_failures_burst: int = 20
    """Failed authentications (per client address and kind of credential) before that
    address is answered 429; they come back at ``auth_failures_per_minute``."""
    auth_failures_per_minute: float = 10.0
    migrate_on_start: bool = True
    """Bring the schema up to date (and publish the demo catalogue if none) in create_app."""
    minimum_version: str = ""
    """The lowest program version the centre accepts (issue 16), told in heartbeat answers;
    "" for none. From ``minimum_version_after`` on, an older PC says plainly it must update."""
    minimum_version_after: str | None = None
    """ISO time from which ``minimum_version`` holds (None: at once)."""
    updates_dir: Path | None = None
    """A folder made by ``python -m updates`` (TUF metadata and targets), served read-only
    under ``/updates/`` (issue 16); None serves nothing there."""

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url(self.data_dir)

    @classmethod
    def from_env(
        cls,
        *,
        data_dir: str | Path | None = None,
        database_url: str | None = None,
        admin_token: str | None = None,
    ) -> ServerSettings:
        """Settings from explicit values, else the environment, else the defaults."""
        return cls(
            data_dir=Path(data_dir or os.environ.get(ENV_DATA_DIR) or DEFAULT_DATA_DIR),
            database_url=database_url or os.environ.get(ENV_DATABASE_URL) or None,
            admin_token=admin_token or os.environ.get(ENV_ADMIN_TOKEN) or None,
        )
