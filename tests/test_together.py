"""Units of work asked at the same moment share one transaction (Database.together): what is
asked while the writer is busy commits as one, in order; one that fails fails alone; one whose
caller gave up is left out — on a real migrated database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.engine import POSTGRES_TURNS, TOGETHER_AT_MOST
from bot.db.models import Person

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


def commits(db: Database) -> list[object]:
    seen: list[object] = []
    event.listen(db.engine.sync_engine, "commit", seen.append)
    return seen


@asynccontextmanager
async def writer_busy(db: Database) -> AsyncIterator[None]:
    """Every turn this process has at the database taken (SQLite's one writer, or PostgreSQL's
    few) by transactions that run nothing (so commit nothing), until the block ends."""
    turns = 1 if db.dialect == "sqlite" else POSTGRES_TURNS
    async with AsyncExitStack() as stack:
        for _ in range(turns):
            await stack.enter_async_context(db.transaction())
        yield


def join(telegram_id: int, fail: bool = False) -> Any:
    """Work that adds a person (and then fails, if asked) and returns their Telegram id."""

    async def work(session: AsyncSession) -> int:
        await session.execute(
            insert(Person).values(
                telegram_id=telegram_id,
                chat_id=telegram_id,
                first_name=f"P{telegram_id}",
                created_at=NOW,
                seen_at=NOW,
            )
        )
        if fail:
            raise ValueError(f"work {telegram_id} failed")
        return telegram_id

    return work


async def stored(db: Database) -> list[int]:
    async with db.transaction() as session:
        return list(await session.scalars(select(Person.telegram_id).order_by(Person.id)))


async def queued() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_work_asked_while_the_writer_is_busy_commits_as_one_in_order(
    db: Database,
) -> None:
    seen = commits(db)
    async with writer_busy(db):
        asked = [asyncio.create_task(db.together(join(n))) for n in range(1, 6)]
        await queued()
        assert not any(task.done() for task in asked)
    assert await asyncio.gather(*asked) == [1, 2, 3, 4, 5]
    assert len(seen) == 1
    assert await stored(db) == [1, 2, 3, 4, 5]


async def test_with_the_writer_free_work_commits_at_once_on_its_own(db: Database) -> None:
    seen = commits(db)
    assert await db.together(join(1)) == 1
    assert len(seen) == 1
    assert await db.together(join(2)) == 2
    assert len(seen) == 2


async def test_one_that_fails_fails_alone_and_nothing_of_it_is_kept(db: Database) -> None:
    async with writer_busy(db):
        asked = [
            asyncio.create_task(db.together(join(1))),
            asyncio.create_task(db.together(join(2, fail=True))),
            asyncio.create_task(db.together(join(3))),
        ]
        await queued()
    results = await asyncio.gather(*asked, return_exceptions=True)
    assert results[0] == 1 and results[2] == 3
    assert isinstance(results[1], ValueError) and str(results[1]) == "work 2 failed"
    assert await stored(db) == [1, 3]


async def test_a_caller_that_gives_up_before_its_turn_is_left_out(db: Database) -> None:
    async with writer_busy(db):
        asked = [asyncio.create_task(db.together(join(n))) for n in (1, 2, 3)]
        await queued()
        asked[1].cancel()
    assert await asyncio.gather(asked[0], asked[2]) == [1, 3]
    assert asked[1].cancelled()
    assert await stored(db) == [1, 3]
    # Nothing is left waiting: what is asked next runs at once.
    assert await asyncio.wait_for(db.together(join(4)), 5) == 4


async def test_more_than_a_batch_at_once_commits_in_as_many_turns_as_it_needs(
    db: Database,
) -> None:
    seen = commits(db)
    many = TOGETHER_AT_MOST + 3
    async with writer_busy(db):
        asked = [asyncio.create_task(db.together(join(n))) for n in range(1, many + 1)]
        await queued()
    assert await asyncio.gather(*asked) == list(range(1, many + 1))
    assert len(seen) == 2
    # On PostgreSQL the second batch may commit beside the first, in a turn of its own.
    assert sorted(await stored(db)) == list(range(1, many + 1))
