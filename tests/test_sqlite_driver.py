"""SQLite through one trip per statement (bot/db/sqlite_driver.py): statements, their rows and
counts, and their errors behave as through the stock adapter — on a real migrated SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import Table, bindparam, func, insert, make_url, select, update
from sqlalchemy.exc import IntegrityError

from bot.db import Database
from bot.db.models import Person
from tests.databases import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="the SQLite driver")

PEOPLE: Table = Person.__table__  # type: ignore[assignment]
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def person(n: int) -> dict[str, Any]:
    return {
        "telegram_id": n,
        "chat_id": n,
        "first_name": f"P{n}",
        "created_at": NOW,
        "seen_at": NOW,
    }


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def test_rows_counts_and_returning(db: Database) -> None:
    async with db.writing() as connection:
        ids = (await connection.execute(insert(PEOPLE).returning(PEOPLE.c.id), [person(1)])).all()
        assert len(ids) == 1
        await connection.execute(insert(PEOPLE), [person(2), person(3)])  # executemany
        renamed = await connection.execute(
            update(PEOPLE).where(PEOPLE.c.telegram_id > 1).values(first_name="Sam")
        )
        assert renamed.rowcount == 2
        # Many parameter sets for one UPDATE, as the sender records sent messages.
        await connection.execute(
            update(PEOPLE)
            .where(PEOPLE.c.telegram_id == bindparam("t"))
            .values(chat_id=bindparam("c")),
            [{"t": 1, "c": 10}, {"t": 2, "c": 20}],
        )
        none = await connection.execute(select(PEOPLE.c.id).where(PEOPLE.c.telegram_id == 99))
        assert none.all() == []
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(Person.telegram_id, Person.chat_id, Person.first_name).order_by(
                    Person.telegram_id
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [(1, 10, "P1"), (2, 20, "Sam"), (3, 3, "Sam")]


async def test_a_failed_statement_rolls_its_transaction_back_and_the_connection_goes_on(
    db: Database,
) -> None:
    async with db.writing() as connection:
        await connection.execute(insert(PEOPLE), [person(1)])

    async def add_two_then_one_again() -> None:
        async with db.writing() as connection:
            await connection.execute(insert(PEOPLE), [person(2)])
            await connection.execute(insert(PEOPLE), [person(1)])  # telegram_id is unique

    with pytest.raises(IntegrityError):
        await add_two_then_one_again()
    async with db.writing() as connection:
        count = await connection.scalar(select(func.count()).select_from(PEOPLE))
    assert count == 1  # person 2 went with the failed transaction


class Trips:
    """Trips to SQLite's thread, counted once `start()` is called."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        self._monkeypatch = monkeypatch

    def start(self) -> None:
        real = aiosqlite.Connection._execute

        async def counted(conn: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await real(conn, fn, *args, **kwargs)

        self._monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> Trips:
    return Trips(monkeypatch)


async def test_one_statement_is_one_trip_to_sqlites_thread(db: Database, trips: Trips) -> None:
    """The reason the module exists: the stock adapter makes four trips a statement."""
    async with db.writing() as connection:
        trips.start()
        assert (await connection.execute(select(PEOPLE.c.id))).all() == []
        await connection.execute(insert(PEOPLE), [person(1)])
        assert trips.count == 2


def _locked_for_writers(database_url: str) -> bool:
    """Whether another process's writer would have to wait now (it gives up at once here)."""
    other = sqlite3.connect(make_url(database_url).database or "", timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return True
    else:
        other.execute("ROLLBACK")
        return False
    finally:
        other.close()


async def test_begin_immediate_rides_with_the_first_statement_and_takes_the_write_lock(
    db: Database, trips: Trips
) -> None:
    """A transaction that starts by reading still holds the write lock from its first statement
    (so it never fails upgrading later), and BEGIN costs no trip of its own."""
    async with db.writing() as connection:  # opened (and its pragmas set) before counting
        await connection.execute(select(PEOPLE.c.id))
    trips.start()
    async with db.writing() as connection:
        assert not _locked_for_writers(db.url)  # nothing sent yet
        assert (await connection.execute(select(PEOPLE.c.id))).all() == []
        assert _locked_for_writers(db.url)
        await connection.execute(insert(PEOPLE), [person(1)])
    assert trips.count == 3  # two statements and the commit
    assert not _locked_for_writers(db.url)


async def test_a_transaction_without_statements_leaves_nothing_behind(db: Database) -> None:
    async with db.writing():
        pass
    async with db.transaction():
        pass
    assert not _locked_for_writers(db.url)
    async with db.writing() as connection:  # the next one begins and commits as usual
        await connection.execute(insert(PEOPLE), [person(1)])
        assert _locked_for_writers(db.url)
    async with db.writing() as connection:
        assert await connection.scalar(select(func.count()).select_from(PEOPLE)) == 1


async def test_a_streamed_read_first_also_begins_the_transaction(db: Database) -> None:
    """Server-side cursors (streaming) keep SQLAlchemy's own cursor; BEGIN still comes first."""
    async with db.writing() as connection:
        await connection.execute(insert(PEOPLE), [person(1), person(2)])
    async with db.writing() as connection:
        streamed = await connection.stream(select(PEOPLE.c.telegram_id).order_by(PEOPLE.c.id))
        assert _locked_for_writers(db.url)
        assert [row[0] async for row in streamed] == [1, 2]
