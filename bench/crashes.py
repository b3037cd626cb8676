"""Reliability run: the bot as a real process, killed with SIGKILL at random moments during a
burst of scheduled deliveries, and restarted each time. Counts what arrived twice and what
never arrived.

    make bench-crashes        (or: .venv/bin/python -m bench.crashes [deliveries] [kills])

A kill can land after a claim commits and before its request leaves the process; the delivery
journal (bot/delivery/journal.py) then tells the next process that the request never left, and
it is sent once. A request that had left is `uncertain` and never resent. Figures go to
bench/results/crashes.txt and docs/reliability.md."""

from __future__ import annotations

import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.common import RESULTS, fresh_database
from tests.faketelegram import FakeTelegram
from tests.processes import BotProcess, bot_env, prompts, seed_checkins, statuses


async def main(deliveries: int, kills: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    telegram = FakeTelegram()
    await telegram.start()
    url = await fresh_database(RESULTS / "crashes.db")
    people = await seed_checkins(
        telegram, url, deliveries // 2, datetime.now(UTC) + timedelta(seconds=3), datetime.now(UTC)
    )
    env = bot_env(telegram, url)
    started = time.monotonic()

    def arrived() -> int:
        return sum(prompts(p) for p in people)

    for _ in range(kills):
        process = await BotProcess.start(env, RESULTS)
        # Once this process is sending, kill it at a random moment of its burst.
        before = arrived()

        def sending(before: int = before) -> bool:
            return arrived() > before or arrived() >= len(people)

        await telegram.wait_for(sending, 120)
        await asyncio.sleep(rng.uniform(0, 1.0))
        await process.kill()
    last = await BotProcess.start(env, RESULTS)
    # Done when every occurrence has an outcome (a row a killed process left `sending` becomes
    # `uncertain` when its 2-minute lease ends).
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        counts = await statuses(url)
        settled = sum(v for k, v in counts.items() if k not in ("pending", "sending"))
        if settled >= len(people):
            break
        await asyncio.sleep(1)
    await asyncio.sleep(2)
    code = await last.terminate()
    seen = [prompts(p) for p in people]
    counts = await statuses(url)
    report = "\n".join(
        [
            f"scheduled deliveries: {len(people)}; SIGKILLs: {kills}; final exit code: {code}",
            f"arrived once: {seen.count(1)}; arrived twice or more: {sum(1 for s in seen if s > 1)}",
            f"never arrived: {seen.count(0)} (recorded uncertain: {counts.get('uncertain', 0)}, "
            f"skipped past grace: {counts.get('skipped', 0)})",
            f"outbox states: {dict(sorted(counts.items()))}",
            f"wall time: {time.monotonic() - started:.0f} s",
        ]
    )
    await telegram.stop()
    print(report)
    (RESULTS / "crashes.txt").write_text(report + "\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(int(args[0]) if args else 2000, int(args[1]) if len(args) > 1 else 20))
