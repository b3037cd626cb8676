"""Telegram's limits: 10,000 deliveries due within the same minute, sent by one Steady process
to the fake Bot API server in strict mode (30 messages in any second per bot, one a second per
chat, 429 beyond). Several messages per chat, so the per-chat second matters.

    make bench-limits        (or: .venv/bin/python -m bench.limits [deliveries] [chats])

Prints: messages per second over the run against the 30/s budget, 429 answers and whether each
was honoured, messages lost or sent twice, the shortest gap between two messages to one chat,
the busiest 1-second window, and how many messages left out of due order (beyond what the
per-chat second forces). Figures go to bench/results/limits.txt
and docs/performance.md."""

from __future__ import annotations

import asyncio
import itertools
import sys
from datetime import timedelta

from bench.common import RESULTS, Proc, bulk, env_for, fresh_database, now, pin_driver, seed_couples
from bot.db import Database
from bot.db.models import Delivery
from tests.faketelegram import FakeTelegram, StrictLimits

BUDGET = 30


async def main(deliveries: int, chats: int) -> None:
    pin_driver()
    telegram = FakeTelegram()
    strict = telegram.strict = StrictLimits(per_bot=BUDGET)
    await telegram.start()
    url = await fresh_database(RESULTS / "limits.db")
    ids = await seed_couples(telegram, url, chats // 2, rituals_per_couple=0)
    start = now() + timedelta(seconds=20)  # after start-up
    # Row i is due at start + i·6 ms: all 10,000 within the minute, each chat's rows far apart.
    rows = [
        {
            "dedupe_key": f"limits:{i}",
            "recipient_id": i % chats + 1,
            "chat_id": ids[i % chats],
            "kind": "bench",
            "payload": {"text": f"#{i}"},
            "status": "pending",
            "due_at": start + timedelta(milliseconds=6 * i),
            "expires_at": start + timedelta(hours=2),
            "attempts": 0,
            "created_at": now(),
        }
        for i in range(deliveries)
    ]
    db = Database(url)
    await bulk(db, Delivery, rows)
    await db.dispose()
    bot = await Proc.start(["-m", "bot"], env_for(telegram, url, LOG_LEVEL="WARNING"))
    await telegram.wait_for(lambda: len(strict.accepted) >= deliveries, 1200)
    await bot.stop()
    sent = strict.accepted
    times = [t for t, _ in sent]
    span = times[-1] - times[0]
    rate = (len(times) - 1) / span
    busiest = 0
    j = 0
    for i, t in enumerate(times):
        while times[j] <= t - 1.0:
            j += 1
        busiest = max(busiest, i - j + 1)
    last: dict[str, float] = {}
    gap = float("inf")
    for t, chat in sent:
        if chat in last:
            gap = min(gap, t - last[chat])
        last[chat] = t
    # In due order: the texts, in the order Telegram took them, against their due order.
    arrived = [
        int(line.text[1:])
        for line in telegram.transcript
        if line.kind == "bot" and line.text.startswith("#")
    ]
    out_of_order = sum(1 for a, b in itertools.pairwise(arrived) if b < a)
    twice = len(arrived) - len(set(arrived))
    # A 429 says "retry after 1 s": any send accepted in that second (but for one already on its
    # way when the 429 was answered: within 10 ms) did not honour it.
    ignored = sum(
        1 for refused in strict.refused_at for t in times if refused + 0.01 < t < refused + 1
    )
    report = "\n".join(
        [
            f"deliveries: {len(sent)} of {deliveries} to {chats} chats; sent twice: {twice}; "
            f"429 answers: {strict.refused}; sends inside a 429's retry_after: {ignored}",
            f"rate: {rate:.2f} messages/s over {span:.0f} s = {100 * rate / BUDGET:.1f}% of the "
            f"{BUDGET}/s budget; busiest 1-s window: {busiest}",
            f"shortest gap between two messages to one chat: {gap:.3f} s",
            f"out of due order: {out_of_order}",
        ]
    )
    await telegram.stop()
    print(report)
    (RESULTS / "limits.txt").write_text(report + "\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(main(int(args[0]) if args else 10_000, int(args[1]) if len(args) > 1 else 2_500))
