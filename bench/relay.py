"""Relay latency: 50 couples' requesters tap 💛 Reassure me at the same instant; the time from
each tap reaching the Bot API server to the agreed words arriving there — p50 and p99 — beside a
bare python-telegram-bot echo handler (bench/echo_bot.py) answering 50 messages sent at once to
the same server. Steady runs as a real process with its default settings (SQLite, or the
PostgreSQL server BENCH_DATABASE_URL names), one round with Telegram's budget (30/s, the words
before anything else due) and one with the limit off.

    make bench-relay        (or: .venv/bin/python -m bench.relay [couples] [rounds])

Figures go to bench/results/relay.txt and docs/performance.md."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time

from sqlalchemy import select, update

from bench.common import (
    RESULTS,
    Proc,
    backend,
    env_for,
    fresh_database,
    now,
    pin_driver,
    seed_couples,
)
from bot import texts
from bot.db import Database
from bot.db.models import Delivery, Person, Phrase
from bot.delivery.limiter import PACE
from bot.services import phrases
from tests.faketelegram import FakeTelegram, FakeUser

BUDGET = 30  # Telegram's messages a second per bot


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def tap_all(
    telegram: FakeTelegram, users: list[FakeUser], text: str, reply: str
) -> list[float]:
    """Every user sends `text` at once; seconds until each got a message starting `reply`."""
    mark = len(telegram.transcript)
    sent_at: dict[int, float] = {}
    for user in users:
        sent_at[user.id] = time.monotonic()
        await user.send(text)

    def arrivals() -> dict[int, float]:
        found: dict[int, float] = {}
        for line in telegram.transcript[mark:]:
            if line.kind == "bot" and line.text.startswith(reply) and line.chat_id in sent_at:
                found.setdefault(line.chat_id, line.at)
        return found

    await telegram.wait_for(lambda: len(arrivals()) == len(users), 60, "every answer")
    return [at - sent_at[chat] for chat, at in arrivals().items()]


async def steady_round(couples: int, rounds: int, rate: str) -> list[float]:
    telegram = FakeTelegram()
    await telegram.start()
    url = await fresh_database(RESULTS / "relay.db")
    ids = await seed_couples(telegram, url, couples, rituals_per_couple=0)
    db = Database(url)
    async with db.transaction() as session:
        for c in range(couples):
            asker = await session.get(Person, 2 * c + 1)
            giver = await session.get(Person, 2 * c + 2)
            assert asker is not None and giver is not None
            assert isinstance(
                await phrases.propose(session, asker, "I'm here.", now()), phrases.Words
            )
            phrase = await session.scalar(select(Phrase.id).order_by(Phrase.id.desc()).limit(1))
            assert phrase is not None
            await phrases.answer_proposal(session, giver, phrase, True, now())
        await session.execute(update(Delivery).values(status="sent", payload=None))
    await db.dispose()
    bot = await Proc.start(
        ["-m", "bot"], env_for(telegram, url, TELEGRAM_RATE_LIMIT=rate, LOG_LEVEL="INFO")
    )
    await bot.wait_for_line("Steady is running")
    await asyncio.sleep(1)
    askers = [telegram.users[i] for i in ids[0::2]]
    latencies: list[float] = []
    for _ in range(rounds):
        latencies += await tap_all(telegram, askers, texts.REASSURE_BUTTON, "💛 From")
        await asyncio.sleep(2.5)  # past each chat's one-message-a-second, and the notices
    await bot.stop()
    await telegram.stop()
    return latencies


async def echo_round(couples: int, rounds: int) -> list[float]:
    telegram = FakeTelegram()
    await telegram.start()
    users = [telegram.user(f"E{i}") for i in range(couples)]
    for user in users:
        user.chat.started = True
    bot = await Proc.start(["-m", "bench.echo_bot"], env_for(telegram, "sqlite://"))
    await bot.wait_for_line("ready")
    await asyncio.sleep(1)
    latencies: list[float] = []
    for _ in range(rounds):
        latencies += await tap_all(telegram, users, "hello", "hello")
        await asyncio.sleep(1)
    await bot.stop()
    await telegram.stop()
    return latencies


def row(name: str, values: list[float]) -> str:
    return (
        f"{name}: p50 {1000 * statistics.median(values):.0f} ms, "
        f"p99 {1000 * percentile(values, 99):.0f} ms, max {1000 * max(values):.0f} ms "
        f"({len(values)} taps)"
    )


async def main(couples: int, rounds: int) -> None:
    pin_driver()
    echo = await echo_round(couples, rounds)
    limited = await steady_round(couples, rounds, str(BUDGET))
    unlimited = await steady_round(couples, rounds, "0")
    p99 = percentile(echo, 99)
    # What the budget alone allows: the k-th of n messages leaves (k - 1) / rate after the first.
    floor = [k / (BUDGET * PACE) for k in range(couples)] * rounds
    report = "\n".join(
        [
            f"database: {backend()}",
            row("bare PTB echo handler", echo),
            row(f"Steady, {BUDGET} messages/s budget", limited)
            + f" — p99 {percentile(limited, 99) / p99:.1f}× the echo's",
            row(f"  the budget's own floor for {couples} at once", floor)
            + f" — Steady's p99 {percentile(limited, 99) / percentile(floor, 99):.2f}× it",
            row("Steady, rate limit off", unlimited)
            + f" — p99 {percentile(unlimited, 99) / p99:.1f}× the echo's",
        ]
    )
    print(report)
    (RESULTS / "relay.txt").write_text(report + "\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(int(args[0]) if args else 50, int(args[1]) if len(args) > 1 else 5))
