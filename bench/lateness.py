"""Benchmark (c): how late scheduled deliveries arrive when the bot is not busy — each ritual
occurrence's arrival at the (fake) Bot API server minus its due instant.

    make bench-lateness        (or: .venv/bin/python -m bench.lateness [occurrences] [seconds])
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
from datetime import timedelta

from sqlalchemy import select, update

from bench.common import (
    RESULTS,
    Proc,
    env_for,
    fresh_database,
    now,
    pin_driver,
    print_table,
    seed_couples,
)
from bot.db import Database
from bot.db.models import Person, Ritual, RitualSlot
from tests.faketelegram import FakeTelegram


async def main(occurrences: int, spread: float) -> None:
    pin_driver()
    telegram = FakeTelegram()
    await telegram.start()
    url = await fresh_database(RESULTS / "lateness.db")
    couples = occurrences // 2
    ids = await seed_couples(telegram, url, couples, rituals_per_couple=1)  # a check-in each
    start = now() + timedelta(seconds=8)  # after the bot has started
    rng = random.Random(3)
    due = {tid: start + timedelta(seconds=rng.uniform(0, spread)) for tid in ids}
    db = Database(url)
    checkins = select(Ritual.id).where(Ritual.kind == "checkin")  # not the weekly digest
    async with db.transaction() as session:
        for person_id, tid in enumerate(ids, start=1):
            await session.execute(
                update(RitualSlot)
                .where(RitualSlot.person_id == person_id, RitualSlot.ritual_id.in_(checkins))
                .values(next_due_at=due[tid])
            )
        assert (await session.get(Person, 1)) is not None
    await db.dispose()

    proc = await Proc.start(["-m", "bot"], env_for(telegram, url, LOG_LEVEL="WARNING"))
    deadline = asyncio.get_running_loop().time() + spread + 60
    while sum(
        1 for t in telegram.transcript if t.kind == "bot" and t.text == "How are you feeling?"
    ) < len(ids):
        if asyncio.get_running_loop().time() > deadline:
            raise RuntimeError("not every occurrence arrived")
        await asyncio.sleep(0.05)
    await proc.stop()
    await telegram.stop()

    late = sorted(
        (t.wall - due[t.chat_id].timestamp()) * 1000
        for t in telegram.transcript
        if t.kind == "bot" and t.text == "How are you feeling?"
    )
    p50 = statistics.median(late)
    p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
    print_table(
        f"Lateness of {len(late)} ritual occurrences spread over {spread:.0f} s (default rate limit)",
        [
            ("", "p50", "p99", "max", "earliest"),
            (
                "arrival minus due",
                f"{p50:.0f} ms",
                f"{p99:.0f} ms",
                f"{late[-1]:.0f} ms",
                f"{late[0]:.0f} ms",
            ),
        ],
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(int(args[0]) if args else 200, float(args[1]) if len(args) > 1 else 60))
