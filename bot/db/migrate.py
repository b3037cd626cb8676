"""Alembic, driven from code: `python -m bot migrate` and the start of `run` both land here.

Migrations are numbered (0001_…, 0002_…) and each file is named after its revision, so a
database already at the newest needs no Alembic at all: every start checks that with one query
(loading Alembic and its scripts costs more than the rest of a start)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from bot.db.engine import create_engine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def head() -> str:
    """The newest revision: the highest number among the migration files."""
    return max(path.name.split("_", 1)[0] for path in (MIGRATIONS_DIR / "versions").glob("*_*.py"))


def alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 (only when migrating)

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _run(connection: Connection, action: str, revision: str) -> None:
    from alembic import command  # noqa: PLC0415 (only when migrating)

    config = alembic_config()
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def upgrade(url: str, revision: str = "head") -> None:
    if revision == "head" and await current(url) == head():
        return
    await _apply(url, "upgrade", revision)


async def current(url: str) -> str | None:
    """The database's revision; None for a database never migrated."""
    engine = create_engine(url, for_migrations=True)
    try:
        async with engine.connect() as connection:
            version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            return str(version) if version is not None else None
    except DBAPIError:  # no such table yet
        return None
    finally:
        await engine.dispose()


async def downgrade(url: str, revision: str = "base") -> None:
    await _apply(url, "downgrade", revision)


async def _apply(url: str, action: str, revision: str) -> None:
    engine = create_engine(url, for_migrations=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run, action, revision)
    finally:
        await engine.dispose()
