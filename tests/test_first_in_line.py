"""The agreed words go first: SQLite's writer and Telegram's budget both serve a turn asked
`first` before the ordinary ones already waiting — and a waiter that gives up blocks no one.
While words are in flight, work that can wait steps aside."""

from __future__ import annotations

import asyncio
import time

from bot.db.engine import Turns
from bot.delivery.limiter import Budget
from bot.lanes import Urgent


async def _wait_until_queued() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_first_turn_at_the_writer_goes_before_those_already_waiting() -> None:
    turns = Turns()
    order: list[str] = []

    async def write(name: str, first: bool = False) -> None:
        async with turns.turn(first):
            order.append(name)
            await asyncio.sleep(0)

    async with turns.turn():
        waiting = [asyncio.create_task(write(n)) for n in ("tap 2", "tap 3")]
        await _wait_until_queued()
        waiting.append(asyncio.create_task(write("words 1", first=True)))
        await _wait_until_queued()
        assert order == []
    await asyncio.gather(*waiting)
    assert order == ["words 1", "tap 2", "tap 3"]


async def test_with_room_for_two_the_third_waits_and_the_words_still_go_first() -> None:
    turns = Turns(writers=2)
    order: list[str] = []
    release = asyncio.Event()

    async def write(name: str, first: bool = False) -> None:
        async with turns.turn(first):
            order.append(name)
            await release.wait()

    running = [asyncio.create_task(write(n)) for n in ("tap 1", "tap 2", "tap 3")]
    await _wait_until_queued()
    assert order == ["tap 1", "tap 2"]
    running.append(asyncio.create_task(write("words 1", first=True)))
    await _wait_until_queued()
    release.set()
    await asyncio.gather(*running)
    assert order == ["tap 1", "tap 2", "words 1", "tap 3"]


async def test_a_writer_that_gives_up_does_not_hold_the_others_up() -> None:
    turns = Turns()
    order: list[str] = []

    async def write(name: str) -> None:
        async with turns.turn():
            order.append(name)

    async with turns.turn():
        gone = asyncio.create_task(write("gone"))
        after = asyncio.create_task(write("after"))
        await _wait_until_queued()
        gone.cancel()
    await asyncio.gather(after)
    assert order == ["after"]
    # Handed the turn just as it is cancelled: it hands the turn on.
    async with turns.turn():
        handed = asyncio.create_task(write("handed"))
        last = asyncio.create_task(write("last"))
        await _wait_until_queued()
    handed.cancel()
    await asyncio.wait_for(last, 1)
    assert order == ["after", "last"]


async def test_a_first_message_of_the_budget_goes_before_those_already_waiting() -> None:
    budget = Budget(0.05)
    granted: list[tuple[str, float]] = []

    async def take(name: str, first: bool = False) -> None:
        await budget.acquire(first=first)
        granted.append((name, time.monotonic()))

    await take("notice 0")
    waiting = [asyncio.create_task(take(f"notice {i}")) for i in (1, 2)]
    await _wait_until_queued()
    assert not budget.has_capacity()
    waiting.append(asyncio.create_task(take("words", first=True)))
    await asyncio.gather(*waiting)
    assert [name for name, _ in granted] == ["notice 0", "words", "notice 1", "notice 2"]
    assert granted[-1][1] - granted[0][1] >= 3 * 0.05 - 0.005  # still one message per period
    await asyncio.sleep(0.06)
    assert budget.has_capacity()


async def test_a_budget_waiter_that_gives_up_takes_no_message() -> None:
    budget = Budget(0.2)
    await budget.acquire()
    gone = asyncio.create_task(budget.acquire())
    after = asyncio.create_task(budget.acquire())
    await _wait_until_queued()
    gone.cancel()
    started = time.monotonic()
    await asyncio.wait_for(after, 1)
    assert time.monotonic() - started < 0.35  # the next period's message, not the one after it


async def test_work_that_can_wait_steps_aside_until_the_words_in_flight_are_sent() -> None:
    urgent = Urgent(patience=5)
    order: list[str] = []

    async def record() -> None:
        await urgent.step_aside()
        order.append("record")

    with urgent.hold() as first, urgent.hold():
        waiting = asyncio.create_task(record())
        await _wait_until_queued()
        first.release()  # one set of words sent; the other is still on its way
        first.release()  # releasing twice counts once
        await _wait_until_queued()
        assert order == []
        order.append("words")
    await asyncio.wait_for(waiting, 1)
    assert order == ["words", "record"]


async def test_work_that_can_wait_is_not_starved_by_a_stream_of_taps() -> None:
    """Overlapping taps are one busy spell: deferred work waits `patience` from its start, in
    all — not `patience` at every step while taps keep coming."""
    urgent = Urgent(patience=0.1)
    started = time.monotonic()
    with urgent.hold():
        await urgent.step_aside()
        assert 0.09 <= time.monotonic() - started < 1
        with urgent.hold():  # another tap before the first is done
            await urgent.step_aside()
            await urgent.step_aside()
        assert time.monotonic() - started < 0.2
    await urgent.step_aside()  # nothing urgent: no wait at all
    assert time.monotonic() - started < 0.2
    with urgent.hold():  # a new spell: a new wait
        before = time.monotonic()
        await urgent.step_aside()
        assert time.monotonic() - before >= 0.09


async def test_words_take_the_budget_at_once_only_if_it_is_free_this_instant() -> None:
    budget = Budget(0.2)
    assert budget.take_now()
    assert not budget.take_now()  # the period's message is gone; nothing was queued for it
    waiting = asyncio.create_task(budget.acquire())
    await _wait_until_queued()
    await asyncio.sleep(0.21)
    assert waiting.done()  # the next period's message went to the one already waiting
    assert not budget.take_now()
