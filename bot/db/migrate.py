"""Alembic, driven from code: `python -m bot migrate` and the start of `run` both land here."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

from bot.db.engine import create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _run(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def upgrade(url: str, revision: str = "head") -> None:
    await _apply(url, "upgrade", revision)


async def downgrade(url: str, revision: str = "base") -> None:
    await _apply(url, "downgrade", revision)


async def _apply(url: str, action: str, revision: str) -> None:
    engine = create_engine(url, for_migrations=True)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run, action, revision)
    finally:
        await engine.dispose()
