"""Relay latency, as people have it: Steady with Telegram's default budget (30 messages a second
for the bot) against a bare python-telegram-bot echo handler (bench/echo_bot.py) on the same
fake Bot API server. The time is from a tap reaching the server to the agreed words arriving
there.

- A burst: `couples` requesters tap 💛 Reassure me at the same instant, `rounds` times. Target:
  p99 ≤ the budget's own floor for that many (the last of n messages may leave (n - 1)/30 s
  after the first) + 2 × the echo's p99 for as many messages at once.
- One tap on an idle bot, `singles` times, one at a time. Target: p50 ≤ 3 × the echo's p50.

Steady runs as a real process with its default settings (SQLite, or the PostgreSQL server
BENCH_DATABASE_URL names).

    make bench-relay        (or: .venv/bin/python -m bench.relay [couples] [rounds] [singles])

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
from bot.services import phrases
from tests.faketelegram import FakeTelegram, FakeUser

BUDGET = 30  # Telegram's messages a second per bot: Steady's default TELEGRAM_RATE_LIMIT
PAUSE = 2.5  # between rounds: past each chat's one message a second, and the notices
IDLE = 0.3  # after a lone tap: its partner's notice is out, and the bot has nothing to do


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


async def measure(
    telegram: FakeTelegram, users: list[FakeUser], text: str, reply: str, rounds: int, singles: int
) -> tuple[list[float], list[float]]:
    """(latencies of `rounds` bursts of every user at once, of `singles` lone messages)."""
    burst: list[float] = []
    for _ in range(rounds):
        burst += await tap_all(telegram, users, text, reply)
        await asyncio.sleep(PAUSE)
    alone: list[float] = []
    for i in range(singles):
        alone += await tap_all(telegram, [users[i % len(users)]], text, reply)
        await asyncio.sleep(IDLE)
    return burst, alone


async def steady_run(couples: int, rounds: int, singles: int) -> tuple[list[float], list[float]]:
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
    bot = await Proc.start(["-m", "bot"], env_for(telegram, url, LOG_LEVEL="INFO"))
    await bot.wait_for_line("Steady is running")
    await asyncio.sleep(1)
    askers = [telegram.users[i] for i in ids[0::2]]
    try:
        return await measure(telegram, askers, texts.REASSURE_BUTTON, "💛 From", rounds, singles)
    finally:
        await bot.stop()
        await telegram.stop()


async def echo_run(couples: int, rounds: int, singles: int) -> tuple[list[float], list[float]]:
    telegram = FakeTelegram()
    await telegram.start()
    users = [telegram.user(f"E{i}") for i in range(couples)]
    for user in users:
        user.chat.started = True
    bot = await Proc.start(["-m", "bench.echo_bot"], env_for(telegram, "sqlite://"))
    await bot.wait_for_line("ready")
    await asyncio.sleep(1)
    try:
        return await measure(telegram, users, "hello", "hello", rounds, singles)
    finally:
        await bot.stop()
        await telegram.stop()


def row(name: str, values: list[float]) -> str:
    return (
        f"{name}: p50 {1000 * statistics.median(values):.0f} ms, "
        f"p99 {1000 * percentile(values, 99):.0f} ms, max {1000 * max(values):.0f} ms "
        f"({len(values)} taps)"
    )


async def main(couples: int, rounds: int, singles: int) -> None:
    pin_driver()
    echo_burst, echo_alone = await echo_run(couples, rounds, singles)
    burst, alone = await steady_run(couples, rounds, singles)
    floor = (couples - 1) / BUDGET
    allowed = floor + 2 * percentile(echo_burst, 99)
    single_allowed = 3 * statistics.median(echo_alone)
    report = "\n".join(
        [
            f"database: {backend()}; Telegram's budget {BUDGET}/s",
            row(f"bare PTB echo handler, {couples} at once", echo_burst),
            row(f"Steady, {couples} taps at once", burst),
            f"  target p99 ≤ floor {1000 * floor:.0f} ms + 2 × echo p99 = {1000 * allowed:.0f} ms: "
            f"{'met' if percentile(burst, 99) <= allowed else 'NOT met'}",
            row("bare PTB echo handler, one message on an idle bot", echo_alone),
            row("Steady, one tap on an idle bot", alone),
            f"  target p50 ≤ 3 × echo p50 = {1000 * single_allowed:.0f} ms: "
            f"{'met' if statistics.median(alone) <= single_allowed else 'NOT met'}",
        ]
    )
    print(report)
    (RESULTS / "relay.txt").write_text(report + "\n")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(*(args + [50, 5, 50][len(args) :])))
