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
from bot.db.engine import DUE_CHANGED, POSTGRES_TURNS, TOGETHER_AT_MOST
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


def join(telegram_id: int, fail: bool = False, runs: list[int] | None = None) -> Any:
    """Work that adds a person (and then fails, if asked) and returns their Telegram id;
    `runs` notes each time it runs."""

    async def work(session: AsyncSession) -> int:
        if runs is not None:
            runs.append(telegram_id)
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


async def settled(asked: list[asyncio.Task[int]]) -> list[Any]:
    """Every caller's answer — bounded, so a caller left waiting fails the test, not hangs it."""
    return await asyncio.wait_for(asyncio.gather(*asked, return_exceptions=True), 10)


async def test_work_asked_while_the_writer_is_busy_commits_as_one_in_order(
    db: Database,
) -> None:
    seen = commits(db)
    async with writer_busy(db):
        asked = [asyncio.create_task(db.together(join(n))) for n in range(1, 6)]
        await queued()
        assert not any(task.done() for task in asked)
    assert await settled(asked) == [1, 2, 3, 4, 5]
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
    results = await settled(asked)
    assert results[0] == 1 and results[2] == 3
    assert isinstance(results[1], ValueError) and str(results[1]) == "work 2 failed"
    assert await stored(db) == [1, 3]


async def test_a_caller_that_gives_up_before_its_turn_is_left_out(db: Database) -> None:
    async with writer_busy(db):
        asked = [asyncio.create_task(db.together(join(n))) for n in (1, 2, 3)]
        await queued()
        asked[1].cancel()
    assert await settled([asked[0], asked[2]]) == [1, 3]
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
    assert await settled(asked) == list(range(1, many + 1))
    assert len(seen) == 2
    # On PostgreSQL the second batch may commit beside the first, in a turn of its own.
    assert sorted(await stored(db)) == list(range(1, many + 1))


async def test_a_shared_commit_wakes_the_dispatcher_once_and_after_it_nothing_runs_again(
    db: Database,
) -> None:
    wakes: list[str] = []
    db.after_due_change = lambda: wakes.append("wake")
    runs: list[int] = []

    def due(n: int) -> Any:
        added = join(n, runs=runs)

        async def work(session: AsyncSession) -> int:
            session.info[DUE_CHANGED] = True  # as writing an outbox row does
            return int(await added(session))

        return work

    async with writer_busy(db):
        asked = [asyncio.create_task(db.together(due(n))) for n in (1, 2, 3)]
        await queued()
    assert await settled(asked) == [1, 2, 3]
    assert wakes == ["wake"]

    def broken_wake() -> None:
        raise RuntimeError("the dispatcher could not be woken")

    # What fails after the commit does not make committed work run (and be committed) again.
    db.after_due_change = broken_wake
    async with writer_busy(db):
        asked = [asyncio.create_task(db.together(due(n))) for n in (4, 5)]
        await queued()
    assert await settled(asked) == [4, 5]
    assert runs == [1, 2, 3, 4, 5]
    assert await stored(db) == [1, 2, 3, 4, 5]


async def test_when_the_process_stops_before_a_turn_no_one_waits_forever(db: Database) -> None:
    before = asyncio.all_tasks()
    caller = asyncio.create_task(db.together(join(1)))
    await asyncio.sleep(0)  # it asked, and a task to lead its batch is made but not yet started
    stopping = asyncio.all_tasks() - before - {asyncio.current_task()}
    for task in stopping:  # as asyncio does to the tasks left when a process stops
        task.cancel()
    await asyncio.wait(stopping, timeout=10)
    assert caller.cancelled()
    # Work asked afterwards is not left behind a leader that never ran.
    assert await asyncio.wait_for(db.together(join(2)), 10) == 2
    assert await stored(db) == [2]
