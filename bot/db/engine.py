"""Engines and transactions.

SQLite gets `foreign_keys=ON` (cascades are part of the model), WAL (readers never block the
writer), a busy timeout, and `BEGIN IMMEDIATE` for every transaction: taking the write lock up
front means two concurrent transactions queue instead of failing with "database is locked" when
one upgrades from reading to writing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from bot.db import sqlite_driver
from bot.lanes import Lanes

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
POSTGRES_TURNS = 6  # transactions in flight at once per process (see Database)
TOGETHER_AT_MOST = 50  # units of work sharing one transaction (see Database.together)
# Set in `session.info` by whatever changes what is due (an outbox row, a ritual slot), so the
# dispatcher is woken as soon as the transaction commits — not before (it would find nothing)
# and not on a timer.
DUE_CHANGED = "due_changed"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _install_sqlite_pragmas(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start (below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # BEGIN IMMEDIATE, sent with the transaction's first statement (bot/db/sqlite_driver.py).
        connection.connection.dbapi_connection.begin_immediately()  # type: ignore[union-attr]


def create_engine(url: str, *, for_migrations: bool = False) -> AsyncEngine:
    """Every transaction here ends explicitly (sessions through begin(), connections through
    Database.writing()), so the pool's reset-on-return rollback has nothing to do; without it,
    handing a connection back costs no round trip to the driver — which matters on the delivery
    path, between a claim and its request."""
    if is_sqlite(url):
        if for_migrations:  # migrations always run first; nothing is created before them
            _prepare_sqlite_file(url)
            engine = create_async_engine(url, poolclass=NullPool, module=sqlite_driver.dbapi())
        else:
            # Transactions take turns (see Database), so a few connections are plenty.
            engine = create_async_engine(
                url,
                pool_size=5,
                max_overflow=5,
                pool_reset_on_return=None,
                module=sqlite_driver.dbapi(),
            )
        # Batch migrations rebuild tables; with foreign keys on, that would cascade deletes.
        _install_sqlite_pragmas(engine, foreign_keys=not for_migrations)
        return engine
    if for_migrations:
        return create_async_engine(url, poolclass=NullPool)
    return create_async_engine(
        url, pool_pre_ping=True, pool_size=10, max_overflow=40, pool_reset_on_return=None
    )


class Turns:
    """This process's transactions, taking turns: `writers` at a time, the rest in the order they
    asked — except that a turn asked `first` (the claim of the agreed words) goes before every
    ordinary one still waiting, so words do not queue behind a burst of other work."""

    def __init__(self, writers: int = 1) -> None:
        self._free = writers
        self._waiting = Lanes()

    @asynccontextmanager
    async def turn(self, first: bool = False) -> AsyncIterator[None]:
        if not self._free:
            # Served: the turn passed straight to us (if we were cancelled then, it passes on).
            await self._waiting.wait(first, unused=self._hand_on)
        else:
            self._free -= 1
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        if not self._waiting.serve():
            self._free += 1


T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]


@dataclass(frozen=True)
class _Asked:
    work: Work[Any]
    done: asyncio.Future[Any]


class _WorkFailed(Exception):
    """A work of a shared transaction raised (before the commit): the others may be innocent."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def _settle(done: asyncio.Future[Any], result: Any = None, error: Exception | None = None) -> None:
    if done.done():  # its caller gave up
        return
    if error is None:
        done.set_result(result)
    else:
        done.set_exception(error)


class Database:
    """One engine and a session factory. `transaction()` is the unit of work: a handler opens one,
    calls a service inside it, and it commits on exit — never held open across a Telegram call.
    `together()` is the same for work that comes in bursts (the 💛 tap): it may share its
    transaction with others asked at the same moment."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.after_due_change: Callable[[], None] | None = None
        # SQLite has one writer at a time. Queueing this process's transactions in Turns wakes
        # the next one the moment the last commits; SQLite's own busy handler would
        # make them poll with growing sleeps (up to 100 ms), which collapses throughput.
        # PostgreSQL takes many, but this process's CPU is shared: 50 taps' transactions at once
        # all finish near the end of the burst; a few at a time, in order, finish one after
        # another (bench/relay.py: p50 1,102 → 367 ms, p99 1,560 → 707 ms).
        self._turns = Turns() if is_sqlite(url) else Turns(POSTGRES_TURNS)
        self._gathered: list[_Asked] = []  # asked together(), not yet taken into a transaction
        self._leader: asyncio.Task[None] | None = None  # waiting for a turn for them
        self._leading: set[asyncio.Task[None]] = set()  # kept, so no leader is collected

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            async with self._turns.turn(), session.begin():
                yield session
            self._committed(session)

    def _committed(self, session: AsyncSession) -> None:
        if session.info.pop(DUE_CHANGED, False) and self.after_due_change:
            self.after_due_change()

    async def together(self, work: Work[T]) -> T:
        """`work`'s result, from a transaction it may share. What is asked while this process's
        transactions wait for the writer commits as one, in the order asked, when the turn
        comes: 50 taps arriving at once become a few commits instead of 50, each with its
        session, its connection and its turn (bench/relay.py). If a work raises, the batch is
        rolled back and each runs again in a transaction of its own, so one that fails fails
        alone and nothing of it is kept; if the commit itself fails (it may have been applied
        all the same), nothing runs again and each caller gets the error. A caller that gives
        up before its turn is left out; after it, its work may be committed all the same, like
        a transaction whose commit was under way."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._gathered.append(_Asked(work, done))
        if self._leader is None:
            self._follow_on()
        return await done

    def _follow_on(self) -> None:
        leader = asyncio.create_task(self._lead())
        self._leader = leader
        self._leading.add(leader)
        leader.add_done_callback(self._led)

    def _led(self, leader: asyncio.Task[None]) -> None:
        self._leading.discard(leader)
        if self._leader is leader:
            # Cancelled before its turn (the process is stopping), perhaps before it started at
            # all: no caller waits forever, and what is asked later gets a leader of its own.
            self._leader = None
            gathered, self._gathered = self._gathered, []
            for asked in gathered:
                asked.done.cancel()

    async def _lead(self) -> None:
        batch: list[_Asked] = []
        try:
            async with self._turns.turn():
                while self._gathered and len(batch) < TOGETHER_AT_MOST:
                    asked = self._gathered.pop(0)
                    if not asked.done.done():  # its caller has not given up
                        batch.append(asked)
                # What is asked from now on waits for the next turn, as does any overflow.
                self._leader = None
                if self._gathered:
                    self._follow_on()
                await self._run_together(batch)
        finally:
            for asked in batch:  # unsettled only if this task was cancelled meanwhile
                asked.done.cancel()

    async def _run_together(self, batch: list[_Asked]) -> None:
        outcomes: list[tuple[Any, Exception | None]]
        try:
            outcomes = [(result, None) for result in await self._commit(batch)]
        except _WorkFailed as failed:
            if len(batch) == 1:
                outcomes = [(None, failed.error)]
            else:  # which one failed? each on its own, answered as it ends: only that one does
                for asked in batch:
                    _settle(asked.done, *await self._alone(asked))
                return
        except Exception as failure:
            # The commit itself failed. It may have been applied all the same (a connection lost
            # before the answer), so nothing is run again: each caller hears of it instead.
            outcomes = [(None, failure)] * len(batch)
        for asked, (result, error) in zip(batch, outcomes, strict=True):
            _settle(asked.done, result, error)

    async def _alone(self, asked: _Asked) -> tuple[Any, Exception | None]:
        try:
            (result,) = await self._commit([asked])
        except _WorkFailed as failed:
            return None, failed.error
        except Exception as error:
            return None, error
        return result, None

    async def _commit(self, batch: list[_Asked]) -> list[Any]:
        """One transaction for the batch; the caller holds the turn. A work that raises comes
        out as _WorkFailed, with nothing of the batch kept."""
        async with self.sessions() as session:
            transaction = await session.begin()
            try:
                results = [await asked.work(session) for asked in batch]
            except Exception as error:
                await transaction.rollback()
                raise _WorkFailed(error) from error
            await transaction.commit()  # (if cancelled instead, closing the session rolls back)
        try:
            self._committed(session)
        except Exception:  # the work is committed whatever happens here: its caller gets it
            log.exception("waking the dispatcher after a shared transaction failed")
        return results

    @asynccontextmanager
    async def writing(self, first: bool = False) -> AsyncIterator[AsyncConnection]:
        """A Core transaction: the writer's turn (before others waiting, if `first`), then a
        connection, which goes back to the pool — with no round trip to the driver — as soon as
        the commit is done."""
        async with self._turns.turn(first), self.engine.connect() as connection, connection.begin():
            yield connection

    async def dispose(self) -> None:
        await self.engine.dispose()
