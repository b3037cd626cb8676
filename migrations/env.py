"""Alembic environment (async). Used both programmatically (bot.db.migrate passes a connection)
and from the `alembic` command line (the URL then comes from Steady's settings)."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.db import models  # noqa: F401  (registers the tables on the metadata)
from bot.db.base import Base, UTCDateTime
from bot.db.crypto import SecretJSON, SecretText
from bot.db.engine import create_engine

config = context.config
target_metadata = Base.metadata

# Any constant works; it only has to be the same for every replica running migrations.
_MIGRATION_LOCK = 7_151_001


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations stay independent of application code: our UTC type is a plain timestamptz.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, SecretText):  # encrypted or not, it is text
        return "sa.Text()"
    if type_ == "type" and isinstance(obj, SecretJSON):
        return "sa.JSON()"
    return False


def _configure_and_run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite,  # SQLite can only alter tables by rebuilding them
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several replicas may start at once; one migrates, the others wait and find nothing
            # left to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        context.run_migrations()


async def _run_with_own_engine() -> None:
    from bot.config import Settings

    engine = create_engine(Settings().database_url, for_migrations=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure_and_run)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        asyncio.run(_run_with_own_engine())
    else:
        _configure_and_run(connection)


if context.is_offline_mode():
    raise SystemExit(
        "Offline (SQL script) migrations are not supported; run `python -m bot migrate`."
    )
run_migrations_online()
