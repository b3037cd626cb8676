"""Benchmark (b): scheduled deliveries per second through Steady's delivery path (outbox →
dispatcher → sender, rate limiter off) against the fake Bot API server, beside a bare PTB
send_message loop against the same server.

    make bench-throughput       (or: .venv/bin/python -m bench.throughput [messages])
"""

from __future__ import annotations

import asyncio
import statistics
import sys

from bench.common import (
    RESULTS,
    Proc,
    env_for,
    fresh_database,
    now,
    pin_driver,
    print_table,
    seed_couples,
    seed_outbox,
)
from tests.faketelegram import FakeTelegram


def server_rate(telegram: FakeTelegram, expected: int) -> float:
    lines = [
        t for t in telegram.transcript if t.kind == "bot" and t.text.startswith("Thinking of you (")
    ]
    assert len(lines) == expected, (len(lines), expected)
    return (expected - 1) / (lines[-1].at - lines[0].at)


async def wait_count(telegram: FakeTelegram, expected: int, timeout: float = 600) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (
        sum(
            1
            for t in telegram.transcript
            if t.kind == "bot" and t.text.startswith("Thinking of you (")
        )
        < expected
    ):
        if loop.time() > deadline:
            raise RuntimeError("deliveries did not finish")
        await asyncio.sleep(0.05)


async def steady_run(messages: int) -> tuple[float, int]:
    telegram = FakeTelegram()
    await telegram.start()
    url = await fresh_database(RESULTS / "throughput.db")
    ids = await seed_couples(telegram, url, messages // 2, rituals_per_couple=0)
    count = await seed_outbox(url, ids, now())
    proc = await Proc.start(
        ["-m", "bot"], env_for(telegram, url, TELEGRAM_RATE_LIMIT="0", LOG_LEVEL="WARNING")
    )
    await wait_count(telegram, count)
    rate = server_rate(telegram, count)
    await proc.stop()
    await telegram.stop()
    return rate, count


async def bare_run(messages: int, concurrency: int) -> float:
    telegram = FakeTelegram()
    await telegram.start()
    ids = []
    for i in range(messages):
        user = telegram.user(f"P{i}")
        user.chat.started = True
        ids.append(user.id)
    ids_file = RESULTS / "chat_ids.txt"
    ids_file.write_text(" ".join(map(str, ids)))
    env = {"TELEGRAM_BOT_TOKEN": telegram.token, "TELEGRAM_API_BASE_URL": telegram.base_url}
    import os

    proc = await Proc.start(
        ["bench/bare_send.py", str(ids_file), str(concurrency)], {**os.environ, **env}
    )
    await wait_count(telegram, messages)
    rate = server_rate(telegram, messages)
    await proc.stop()
    await telegram.stop()
    return rate


async def main(messages: int, rounds: int) -> None:
    pin_driver()
    results: dict[str, list[float]] = {"steady": [], "loop1": [], "loop16": []}
    count = messages
    for _ in range(rounds):  # alternating, so a slow spell of the machine hits all alike
        rate, count = await steady_run(messages)
        results["steady"].append(rate)
        results["loop1"].append(await bare_run(count, 1))
        results["loop16"].append(await bare_run(count, 16))
    steady, loop1, loop16 = (statistics.median(results[k]) for k in ("steady", "loop1", "loop16"))
    print(f"runs: { {k: [round(v) for v in vs] for k, vs in results.items()} }")
    print_table(
        f"Deliveries per second (median of {rounds}), {count:,} messages to {count:,} chats, "
        "rate limiter off",
        [
            ("", "messages/s", "Steady as a share"),
            ("Steady: outbox → dispatcher → sender", f"{steady:.0f}", ""),
            ("bare PTB send_message loop, one at a time", f"{loop1:.0f}", f"{steady / loop1:.0%}"),
            ("bare PTB send_message, 16 in flight", f"{loop16:.0f}", f"{steady / loop16:.0%}"),
        ],
    )


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    asyncio.run(main(args[0] if args else 4000, args[1] if len(args) > 1 else 3))
