"""Engines and transactions.

SQLite gets `foreign_keys=ON` (cascades are part of the model), WAL (readers never block the
writer), a busy timeout, and `BEGIN IMMEDIATE` for every transaction (SQLAlchemy's documented
recipe for the aiosqlite driver): taking the write lock up front means two transactions queue
instead of one failing with "database is locked" when it upgrades from reading to writing."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

BUSY_TIMEOUT_MS = 30_000
# Set in `session.info` by whatever changes what is due (an outbox row, a ritual slot), so the
# dispatcher is woken as soon as the transaction commits — not before (it would find nothing)
# and not on a timer.
DUE_CHANGED = "due_changed"
# A connection that only reads (Database.reading) begins an ordinary, deferred transaction.
READ_ONLY = "steady_read_only"
# On PostgreSQL the same news reaches the process that sends scheduled work (jobs/leader.py),
# whichever process committed: PostgreSQL delivers a NOTIFY when, and only if, it commits.
DUE_CHANNEL = "steady_due"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_pragmas(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver no longer begins transactions by itself: the "begin" event below does.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def create_engine(url: str, *, for_migrations: bool = False) -> AsyncEngine:
    """Every transaction here ends explicitly (sessions through begin(), connections through
    Database.writing()), so the pool's reset-on-return rollback has nothing to do."""
    if is_sqlite(url):
        if for_migrations:  # migrations always run first; nothing is created before them
            _prepare_sqlite_file(url)
            engine = create_async_engine(url, poolclass=NullPool)
        else:
            engine = create_async_engine(url, pool_reset_on_return=None)
        # Batch migrations rebuild tables; with foreign keys on, that would cascade deletes.
        _install_sqlite_pragmas(engine, foreign_keys=not for_migrations)
        return engine
    if for_migrations:
        return create_async_engine(url, poolclass=NullPool)
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=40, pool_reset_on_return=None
    )


class Database:
    """One engine and a session factory. `transaction()` is the unit of work: a handler opens one,
    calls a service inside it, and it commits on exit — never held open across a Telegram call."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.after_due_change: Callable[[], None] | None = None
        self._notify = not is_sqlite(url)
        # SQLite has one writer at a time. This process's transactions wait their turn here, in
        # the order they asked, and the next starts the moment the last commits; in SQLite's own
        # busy handler they would poll with growing sleeps (up to 100 ms each).
        self._writer = asyncio.Lock() if is_sqlite(url) else None
        self._readers = self.engine.execution_options(**{READ_ONLY: True})

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def _turn(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._writer if self._writer is not None else contextlib.nullcontext()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._turn(), self.sessions() as session:
            async with session.begin():
                yield session
                if self._notify and session.info.get(DUE_CHANGED):
                    await session.execute(text(f"NOTIFY {DUE_CHANNEL}"))
            if session.info.pop(DUE_CHANGED, False) and self.after_due_change:
                self.after_due_change()

    @contextlib.asynccontextmanager
    async def writing(self) -> AsyncIterator[AsyncConnection]:
        """A Core transaction, for the delivery path's claims and records."""
        async with self._turn(), self.engine.connect() as connection, connection.begin():
            yield connection

    @contextlib.asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A Core transaction that only reads: it waits for no writer (WAL lets readers run
        beside the one writer) and sees the database as it was when it began."""
        async with self._readers.connect() as connection, connection.begin():
            yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()
