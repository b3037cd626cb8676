"""Reliability run: reassurance relays through a Bot API that fails at random — 429, 5xx,
dropped connections, timeouts, blocked, chat not found — and what became of each.

    make bench-faults        (or: .venv/bin/python -m bench.faults [relays] [fault rate])

The same scenario as tests/test_faults.py (tests/relays.py), at length; the figures go to
bench/results/faults.txt and docs/reliability.md."""

from __future__ import annotations

import asyncio
import logging
import sys
import time

from bench.common import RESULTS, fresh_database, now
from tests.faketelegram import FakeTelegram
from tests.harness import ErrorLog, FakeClock, Steady, settings_for
from tests.relays import run

COUPLES = 50


async def main(relays: int, rate: float) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    url = await fresh_database(RESULTS / "faults.db")
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    settings = settings_for(telegram, url, telegram_read_timeout=0.5)
    steady = Steady(telegram, FakeClock(now()), settings, errors)
    await steady.start()
    started = time.monotonic()
    try:
        tally = await run(steady, COUPLES, max(relays // COUPLES, 1), rate)
        alive = steady.running
    finally:
        await steady.stop()
        await telegram.stop()
    lines = [
        *tally.lines(),
        f"bot process alive throughout: {alive}; errors logged: {len(errors.records)}",
        f"wall time: {time.monotonic() - started:.0f} s",
    ]
    report = "\n".join(lines)
    print(report)
    (RESULTS / "faults.txt").write_text(report + "\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(int(args[0]) if args else 1000, float(args[1]) if len(args) > 1 else 0.1))
