"""The database each test runs against: a real SQLite file migrated by Alembic by default, or a
real PostgreSQL database when TEST_DATABASE_URL names a server (make test / .ci/run).

Either way, migrations run once into a template, and each test gets its own copy."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bot.db import migrate

SERVER_URL = os.environ.get("TEST_DATABASE_URL", "").strip()
BACKEND = "postgresql" if SERVER_URL else "sqlite"
_names = itertools.count(1)


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _with_database(database: str) -> str:
    return make_url(SERVER_URL).set(database=database).render_as_string(hide_password=False)


async def _admin(*statements: str) -> None:
    connection = await asyncpg.connect(_dsn(SERVER_URL))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _run(coroutine: object) -> None:
    asyncio.run(coroutine)  # type: ignore[arg-type]


class Databases:
    """Makes migrated (or empty) databases for tests, on the configured backend."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.prefix = f"steady_{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._made: list[str] = []
        if BACKEND == "postgresql":
            _run(
                _admin(
                    f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)",
                    f"CREATE DATABASE {self.template}",
                )
            )
            _run(migrate.upgrade(_with_database(self.template)))
        else:
            self.template_file = scratch / "template.db"
            _run(migrate.upgrade(f"sqlite+aiosqlite:///{self.template_file}"))

    def migrated(self, folder: Path) -> str:
        if BACKEND == "postgresql":
            name = f"{self.prefix}_{next(_names)}"
            _run(_admin(f"CREATE DATABASE {name} TEMPLATE {self.template}"))
            self._made.append(name)
            return _with_database(name)
        path = folder / "steady.db"
        shutil.copy(self.template_file, path)
        return f"sqlite+aiosqlite:///{path}"

    def empty(self, folder: Path) -> str:
        if BACKEND == "postgresql":
            name = f"{self.prefix}_{next(_names)}"
            _run(_admin(f"CREATE DATABASE {name}"))
            self._made.append(name)
            return _with_database(name)
        return f"sqlite+aiosqlite:///{folder / 'empty.db'}"

    def drop(self, url: str) -> None:
        if BACKEND == "postgresql":
            name = make_url(url).database
            _run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            if name in self._made:
                self._made.remove(name)

    def close(self) -> None:
        if BACKEND == "postgresql":
            names = [*self._made, self.template]
            _run(_admin(*(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in names)))
