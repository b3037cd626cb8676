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


def with_database(server: str, database: str) -> str:
    """The URL of `database` on the PostgreSQL server `server` names."""
    return make_url(server).set(database=database).render_as_string(hide_password=False)


async def admin(server: str, *statements: str) -> None:
    """Run statements (CREATE/DROP DATABASE) on the PostgreSQL server `server` names."""
    connection = await asyncpg.connect(_dsn(server))
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
                admin(
                    SERVER_URL,
                    f"DROP DATABASE IF EXISTS {self.template} WITH (FORCE)",
                    f"CREATE DATABASE {self.template}",
                )
            )
            _run(migrate.upgrade(with_database(SERVER_URL, self.template)))
        else:
            self.template_file = scratch / "template.db"
            _run(migrate.upgrade(f"sqlite+aiosqlite:///{self.template_file}"))

    def migrated(self, folder: Path) -> str:
        if BACKEND == "postgresql":
            name = f"{self.prefix}_{next(_names)}"
            _run(admin(SERVER_URL, f"CREATE DATABASE {name} TEMPLATE {self.template}"))
            self._made.append(name)
            return with_database(SERVER_URL, name)
        path = folder / "steady.db"
        shutil.copy(self.template_file, path)
        return f"sqlite+aiosqlite:///{path}"

    def copy(self, url: str, folder: Path) -> str:
        """A database of its own for a test, copied from `url` (no connection may be open to
        it: PostgreSQL copies a database only as a template)."""
        if BACKEND == "postgresql":
            name = f"{self.prefix}_{next(_names)}"
            source = make_url(url).database
            _run(admin(SERVER_URL, f"CREATE DATABASE {name} TEMPLATE {source}"))
            self._made.append(name)
            return with_database(SERVER_URL, name)
        path = folder / "steady.db"
        shutil.copy(make_url(url).database or "", path)
        return f"sqlite+aiosqlite:///{path}"

    def empty(self, folder: Path) -> str:
        if BACKEND == "postgresql":
            name = f"{self.prefix}_{next(_names)}"
            _run(admin(SERVER_URL, f"CREATE DATABASE {name}"))
            self._made.append(name)
            return with_database(SERVER_URL, name)
        return f"sqlite+aiosqlite:///{folder / 'empty.db'}"

    def drop(self, url: str) -> None:
        if BACKEND == "postgresql":
            name = make_url(url).database
            _run(admin(SERVER_URL, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            if name in self._made:
                self._made.remove(name)

    def close(self) -> None:
        if BACKEND == "postgresql":
            names = [*self._made, self.template]
            _run(admin(SERVER_URL, *(f"DROP DATABASE IF EXISTS {n} WITH (FORCE)" for n in names)))
