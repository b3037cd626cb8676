"""Alembic migrations on a real SQLite file: up from empty to head, down to base, and the models
and migrations describe the same schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from bot.db import Database, migrate
from bot.db.base import Base
from bot.db.engine import create_engine
from tests.databases import BACKEND


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    async with engine.connect() as connection:
        names = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    await engine.dispose()
    return names


async def test_upgrade_from_empty_to_head_then_downgrade_to_base(empty_database_url: str) -> None:
    url = empty_database_url
    await migrate.upgrade(url)
    assert {t.name for t in Base.metadata.sorted_tables} <= await table_names(url)
    await migrate.downgrade(url, "base")
    assert await table_names(url) <= {"alembic_version"}
    await migrate.upgrade(url)  # and up again
    assert {t.name for t in Base.metadata.sorted_tables} <= await table_names(url)


async def test_models_and_migrations_agree(empty_database_url: str) -> None:
    url = empty_database_url
    await migrate.upgrade(url)

    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    engine = create_engine(url)
    async with engine.connect() as connection:
        differences = await connection.run_sync(diff)
    await engine.dispose()
    assert differences == []


@pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's own connection settings")
async def test_sqlite_connections_enforce_foreign_keys_with_wal_and_a_busy_timeout(
    database_url: str,
) -> None:
    db = Database(database_url)
    async with db.transaction() as session:
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar_one() >= 5000
    await db.dispose()


def test_the_newest_migration_file_names_alembics_head() -> None:
    """A start skips Alembic when the database is at the newest file's revision: that has to be
    Alembic's own head (files are numbered and named after their revision)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert migrate.head() == script.get_current_head()


async def test_a_database_at_head_is_left_alone_and_one_behind_is_brought_up(
    empty_database_url: str,
) -> None:
    url = empty_database_url
    assert await migrate.current(url) is None
    await migrate.upgrade(url, "0005")
    assert await migrate.current(url) == "0005"
    await migrate.upgrade(url)
    assert await migrate.current(url) == migrate.head()
    await migrate.upgrade(url)  # nothing to do
    assert await migrate.current(url) == migrate.head()
