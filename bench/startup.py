"""Benchmark (a): 100,000 couples / 300,000 rituals in the database — time from process start to
ready, and peak RSS, for Steady beside one in-memory APScheduler job per ritual.

    make bench-startup            (or: .venv/bin/python -m bench.startup [couples])
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time

from bench.common import (
    RESULTS,
    Proc,
    env_for,
    fresh_database,
    pin_driver,
    print_table,
    seed_couples,
)
from tests.faketelegram import FakeTelegram


async def main(couples: int) -> None:
    pin_driver()
    path = RESULTS / f"startup-{couples}.db"
    telegram = FakeTelegram()
    await telegram.start()
    started = time.perf_counter()
    done = path.with_suffix(".seeded")
    if done.exists():  # seeding 1.1 million rows takes a minute or two; keep it between runs
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = await fresh_database(path)
        await seed_couples(None, url, couples, digests=False)
        done.touch()
    counts = {
        t: sqlite3.connect(path).execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("couples", "rituals", "ritual_slots")
    }
    print(f"database ready {counts} in {time.perf_counter() - started:.1f}s")

    steady = await Proc.start(["-m", "bot"], env_for(telegram, url))
    steady_ready = await steady.wait_for_line("Steady is running")
    await asyncio.sleep(3)  # the dispatcher's first pass, and the first long poll
    steady_rss = steady.peak_rss_mb()
    await steady.stop()

    naive = await Proc.start(["bench/naive_scheduler.py", str(path)], env_for(telegram, url))
    naive_ready = await naive.wait_for_line("ready with", timeout=600)
    await asyncio.sleep(3)
    naive_rss = naive.peak_rss_mb()
    jobs = next(line for _, line in naive.lines if "ready with" in line)
    await naive.stop()
    await telegram.stop()

    print_table(
        f"Start-up with {counts['couples']:,} couples / {counts['rituals']:,} rituals "
        f"({counts['ritual_slots']:,} per-recipient slots); naive: {jobs}",
        [
            ("", "start to ready", "peak RSS"),
            (
                "Steady (database + one dispatcher job)",
                f"{steady_ready:.2f} s",
                f"{steady_rss:.0f} MB",
            ),
            (
                "naive (one APScheduler job per ritual)",
                f"{naive_ready:.2f} s",
                f"{naive_rss:.0f} MB",
            ),
            (
                "naive / Steady",
                f"{naive_ready / steady_ready:.1f}x",
                f"{naive_rss / steady_rss:.1f}x",
            ),
        ],
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000))
