"""aiosqlite with one trip to SQLite's thread per statement.

aiosqlite runs SQLite on a thread of its own, and SQLAlchemy's adapter goes there and back for
every cursor step — open, execute, fetch (when there are rows), close: three or four trips per
statement, each a queue put, a thread wake-up and a wake-up of the event loop. SELECT 1 through
SQLAlchemy took 0.47 ms, 0.34 ms with one trip (aiosqlite alone: 0.12 ms), and a tap on
"💛 Reassure me" runs about ten statements. This cursor does them all in one trip.

It reaches SQLAlchemy as the DBAPI module (create_engine's documented `module=`); the dialect,
its SQL and its error handling are SQLAlchemy's own. Server-side cursors (not used here) keep
the stock adapter. It extends SQLAlchemy 2.1's adapter classes and uses aiosqlite 0.22's worker
queue, so pyproject.toml holds both to those minor versions.

`BEGIN IMMEDIATE` (bot/db/engine.py) rides along with a transaction's first statement instead
of taking a trip of its own: `begin_immediately()` only marks the connection."""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

# What one trip brings back: description, rows, rowcount, lastrowid.
Outcome = tuple[Any, list[Any], int, int | None]


BEGIN = "BEGIN IMMEDIATE"


def _run(
    connection: aiosqlite.Connection, operation: str, parameters: Any, many: bool, begin: bool
) -> Outcome:
    """On SQLite's thread: the whole statement, its rows read before the cursor closes (an
    INSERT … RETURNING's rowcount is only final once its rows are read) — after opening the
    transaction, if `begin`."""
    cursor = connection._conn.cursor()
    try:
        if begin:
            cursor.execute(BEGIN)
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor with nothing open on SQLite's side between statements: each statement opens,
    runs, reads and closes a sqlite3 cursor in one trip, and this keeps what it brought back."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # Unlike the stock cursor, opening one costs no trip.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1  # sqlite3's default; rows are all in memory anyway

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise sqlite3.NotSupportedError("SQLite returns one result set")

    def setinputsizes(self, *inputsizes: Any) -> None:
        raise sqlite3.NotSupportedError("SQLite takes no input sizes")

    async def _trip(self, operation: str, parameters: Any, many: bool) -> None:
        adapt: _Connection = self._adapt_connection  # type: ignore[assignment]
        async with adapt._execute_mutex:
            connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
            trip: Callable[..., Awaitable[Outcome]] = connection._execute  # untyped upstream
            # Cleared before the trip: had BEGIN failed, SQLAlchemy rolls back and starts over.
            begin, adapt._begin_pending = adapt._begin_pending, False
            self._description, rows, self._rowcount, self._lastrowid = await trip(
                _run, connection, operation, parameters, many, begin
            )
            self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._trip(operation, seq_of_parameters, many=True)


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin_pending",)
    _cursor_cls = _Cursor  # type: ignore[assignment]  # (a subclass; mypy's view of upstream)

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self._begin_pending = False

    def begin_immediately(self) -> None:
        """The transaction starts with the next statement, in the same trip."""
        self._begin_pending = True

    def cursor(self, server_side: bool = False) -> Any:
        if server_side and self._begin_pending:
            # The stock server-side cursor knows nothing of the mark: BEGIN takes its own trip.
            self._begin_pending = False
            super().cursor().execute(BEGIN)
        return super().cursor(server_side)

    def commit(self) -> None:
        # A transaction that ran no statement never began: nothing to commit (the same below).
        self._begin_pending = False
        super().commit()

    def rollback(self) -> None:
        self._begin_pending = False
        super().rollback()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> _Connection:
        stock = super().connect(*arg, **kw)
        return _Connection(self, stock._connection)


def dbapi() -> Any:
    """The module to hand create_async_engine(…, module=) for a sqlite+aiosqlite URL."""
    return _DBAPI(aiosqlite, sqlite3)
