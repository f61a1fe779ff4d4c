"""Alembic environment for the server database: always run with a connection handed in
(``server.db.migrate``), never from an ini file. SQLite needs batch mode to alter tables."""

from __future__ import annotations

from alembic import context

from server.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs bare `alembic`
    raise RuntimeError("run migrations through server.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
