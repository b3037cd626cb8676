"""Several replicas: three real bot processes in webhook mode share one database (PostgreSQL in
CI's second pass) and the fake Bot API server in strict mode (Telegram's 30 messages a second per
bot, one a second per chat, 429 beyond). A burst of scheduled check-ins; one process SIGKILLed
midway; the others finish it: every check-in arrives exactly once, and Telegram never had to
say "too many requests" — the budget is shared, not per process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.databases import BACKEND
from tests.faketelegram import FakeTelegram, StrictLimits
from tests.processes import (
    BotProcess,
    bot_env,
    prompts,
    seed_checkins,
    sent_out,
    statuses,
    wait_until,
)
from tests.test_webhook import SECRET, free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        BACKEND == "sqlite", reason="replicas share PostgreSQL; on SQLite one process runs"
    ),
]

COUPLES = 120


async def test_three_replicas_share_the_budget_and_finish_a_burst_one_of_them_dropped(
    telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    telegram.strict = StrictLimits()
    due = datetime.now(UTC) + timedelta(seconds=8)  # once all three are up and sharing
    people = await seed_checkins(telegram, database_url, COUPLES, due, datetime.now(UTC))
    replicas = []
    for _ in range(3):
        port = free_port()
        env = bot_env(
            telegram,
            database_url,
            WEBHOOK_URL=f"http://127.0.0.1:{port}/updates",
            WEBHOOK_SECRET=SECRET,
            WEBHOOK_LISTEN=f"127.0.0.1:{port}",
        )
        replicas.append(await BotProcess.start(env, tmp_path))
    await wait_until(lambda: sum(prompts(p) for p in people) >= len(people) // 3, 60, "a third")
    await replicas[0].kill()
    await wait_until(lambda: all(prompts(p) >= 1 for p in people), 90, "every check-in")
    await sent_out(telegram, database_url)  # a duplicate would have come by now
    for replica in replicas[1:]:
        assert await replica.terminate() == 0
    assert [prompts(p) for p in people] == [1] * len(people)
    assert telegram.strict.refusals == []  # no 429: never over 30 a second, nor 1 per chat
    sent = [t for t, _ in telegram.strict.accepted]
    busiest = max(sum(1 for u in sent if t <= u < t + 1) for t in sent)
    assert busiest <= telegram.strict.per_bot
    assert set(await statuses(database_url)) <= {"sent", "uncertain"}
