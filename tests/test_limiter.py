"""Telegram's budget (bot/delivery/limiter.py): messages handed out one at a time, evenly, by
priority and in order within it; a flood pause that only its own end lifts; a caller that gives
up takes nobody's turn; a call made again after a pause keeps its place in line."""

from __future__ import annotations

import asyncio
import itertools

from bot.delivery.limiter import Budget
from bot.services.outbox import Priority

RATE = 50.0  # messages a second: a period of about 20 ms


async def queued(
    budget: Budget, priority: Priority, granted: list[tuple[str, float]], name: str
) -> None:
    await budget.take(priority)
    granted.append((name, asyncio.get_running_loop().time()))


async def waiting(budget: Budget, count: int) -> None:
    """Until `count` callers wait in line (each asks on its first step)."""
    for _ in range(100):
        if budget.waiting >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"{budget.waiting} waiting, not {count}")


async def test_messages_go_one_per_period_the_words_first_then_in_the_order_asked() -> None:
    budget = Budget(RATE)
    granted: list[tuple[str, float]] = []
    await queued(budget, Priority.QUEUED, granted, "notice 0")  # free: at once
    tasks = [
        asyncio.create_task(queued(budget, Priority.QUEUED, granted, f"notice {i}")) for i in (1, 2)
    ]
    await waiting(budget, 2)
    tasks.append(asyncio.create_task(queued(budget, Priority.REPLY, granted, "reply")))
    tasks.append(asyncio.create_task(queued(budget, Priority.WORDS, granted, "words")))
    await asyncio.gather(*tasks)
    assert [name for name, _ in granted] == ["notice 0", "words", "reply", "notice 1", "notice 2"]
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(granted)]
    assert all(gap >= 0.75 * budget.period for gap in gaps), gaps


async def test_a_caller_that_gives_up_takes_nobodys_turn() -> None:
    budget = Budget(RATE)
    await budget.take(Priority.QUEUED)
    gone = asyncio.create_task(budget.take(Priority.WORDS))
    after = asyncio.create_task(budget.take(Priority.QUEUED))
    await waiting(budget, 2)
    gone.cancel()
    await asyncio.wait_for(after, 5)
    assert gone.cancelled()
    assert budget.waiting == 0


async def test_a_flood_pause_holds_every_message_until_it_ends_and_only_then() -> None:
    budget = Budget(RATE)
    loop = asyncio.get_running_loop()
    await budget.take(Priority.QUEUED)
    started = loop.time()  # before the pause begins: the process may be preempted in between
    budget.pause(0.3)
    calm = asyncio.create_task(budget.calm())
    taken = asyncio.create_task(budget.take(Priority.WORDS))
    await asyncio.wait_for(asyncio.gather(calm, taken), 5)
    assert loop.time() - started >= 0.3
    started = loop.time()
    budget.pause(0.2)
    budget.pause(0.05)  # a shorter pause does not cut a longer one short
    await budget.calm()
    assert loop.time() - started >= 0.2


async def test_a_call_made_again_after_a_pause_keeps_its_place_in_line() -> None:
    budget = Budget(RATE)
    granted: list[str] = []
    place = await budget.take(Priority.QUEUED)  # its request is refused: 429
    budget.pause(0.1)

    async def later(name: str) -> None:
        await budget.take(Priority.QUEUED)
        granted.append(name)

    others = [asyncio.create_task(later(f"later {i}")) for i in range(2)]
    await waiting(budget, 2)
    await budget.take(Priority.QUEUED, place)  # the refused call, again
    granted.append("refused")
    await asyncio.gather(*others)
    assert granted == ["refused", "later 0", "later 1"]


async def test_a_budget_spent_elsewhere_holds_messages_until_it_is_over() -> None:
    """A new leader counts its predecessor's last second as spent: nothing goes before then,
    and then the budget's even pace."""
    budget = Budget(RATE)
    loop = asyncio.get_running_loop()
    granted: list[tuple[str, float]] = []
    started = loop.time()
    budget.spent(0.3)
    await asyncio.wait_for(
        asyncio.gather(*(queued(budget, Priority.QUEUED, granted, str(i)) for i in range(3))), 5
    )
    assert granted[0][1] - started >= 0.3
    gaps = [b - a for (_, a), (_, b) in itertools.pairwise(granted)]
    assert all(gap >= 0.75 * budget.period for gap in gaps), gaps
    unlimited = Budget(0)
    unlimited.spent(60)  # no budget, nothing to hold
    await asyncio.wait_for(unlimited.take(Priority.QUEUED), 1)
