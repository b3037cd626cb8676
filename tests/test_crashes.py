"""Crash safety: the bot as a real process, killed with SIGKILL at the worst moments. After a
restart no occurrence is sent twice and none is lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from jobs.dispatcher import CONCURRENCY
from tests.faketelegram import FakeTelegram, Fault, FaultPlan
from tests.processes import (
    HANG,
    BotProcess,
    bot_env,
    journal_caught_up,
    prompts,
    seed_agreed_words,
    seed_checkins,
    sent_out,
    soon,
    statuses,
    wait_until,
)

pytestmark = pytest.mark.slow


async def test_killed_between_telegram_accepting_and_recording_nothing_is_sent_twice(
    telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    people = await seed_checkins(telegram, database_url, 1, soon(), datetime.now(UTC))
    alex, sam = people
    # Alex's check-in reaches Telegram, but the answer never gets back to the bot.
    telegram.faults = FaultPlan(script=[Fault("hold")], only_chat=alex.id)
    env = bot_env(telegram, database_url)
    first = await BotProcess.start(env, tmp_path)
    await asyncio.wait_for(telegram.faults.held.wait(), HANG)
    await journal_caught_up(telegram, tmp_path, since=0)
    await first.kill()
    telegram.faults.release()
    assert prompts(alex) == 1

    second = await BotProcess.start(env, tmp_path)
    await wait_until(lambda: prompts(sam) == 1, HANG, "Sam's check-in")
    await sent_out(telegram, database_url)  # a duplicate would have come by now
    assert await second.terminate() == 0
    assert (prompts(alex), prompts(sam)) == (1, 1)
    # Alex's request had left the killed process (its journal says so): it is `uncertain` from
    # the restart on, and never resent.
    assert await statuses(database_url) == {"sent": 1, "uncertain": 1}


async def test_killed_between_claiming_and_sending_the_unsent_claims_are_sent_once(
    telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    """A burst with no rate limit is claimed in groups and each group's requests go out one
    after another: while the first is held by Telegram the rest are claimed, not yet sent. A
    kill then must not lose them — the journal shows they never left, and the next process
    sends them — nor resend the one that did leave."""
    people = await seed_checkins(telegram, database_url, 20, soon(), datetime.now(UTC))
    telegram.faults = FaultPlan(script=[Fault("hold")], hold_spell=True)
    env = bot_env(telegram, database_url, TELEGRAM_RATE_LIMIT="0")
    first = await BotProcess.start(env, tmp_path)
    await asyncio.wait_for(telegram.faults.held.wait(), HANG)
    await every_lane_held(telegram)
    await journal_caught_up(telegram, tmp_path, since=0)
    claimed = (await statuses(database_url)).get("sending", 0)
    await first.kill()
    telegram.faults.release()
    reached = sum(prompts(p) for p in people)  # the requests held by Telegram at the kill
    assert claimed > reached, "the kill was meant to land while claimed requests had not left"

    second = await BotProcess.start(env, tmp_path)
    await wait_until(lambda: all(prompts(p) >= 1 for p in people), 60, "every check-in")
    await sent_out(telegram, database_url)
    assert await second.terminate() == 0
    assert [prompts(p) for p in people] == [1] * len(people)
    assert (await statuses(database_url)).get("uncertain") == reached


async def test_killed_between_recording_an_occurrence_and_sending_it_nothing_is_lost(
    telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    # Thirty check-ins are written to the outbox at once; the first send hangs, and the bot is
    # killed while the rest are recorded but not yet sent.
    people = await seed_checkins(telegram, database_url, 15, soon(), datetime.now(UTC))
    telegram.faults = FaultPlan(script=[Fault("hold")])
    env = bot_env(telegram, database_url, TELEGRAM_RATE_LIMIT="2")
    first = await BotProcess.start(env, tmp_path)
    await asyncio.wait_for(telegram.faults.held.wait(), HANG)
    await journal_caught_up(telegram, tmp_path, since=0)
    pending = (await statuses(database_url)).get("pending", 0)
    await first.kill()
    telegram.faults.release()
    assert pending > 0, "the kill was meant to land while occurrences were recorded, unsent"

    second = await BotProcess.start(bot_env(telegram, database_url), tmp_path)
    await wait_until(lambda: all(prompts(p) == 1 for p in people), 60, "every check-in")
    await sent_out(telegram, database_url)
    assert await second.terminate() == 0
    assert [prompts(p) for p in people] == [1] * len(people)


async def test_killed_again_and_again_mid_burst_every_checkin_arrives_once(
    telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    """80 check-ins due at once; the bot is killed three times mid-burst — each time while
    Telegram has accepted messages the bot has not recorded yet — and restarted.

    Every lane's request is held, and noted in the journal, before the kill (`hold_spell`), so no
    kill lands in the instant between a request reaching Telegram and its journal line, which
    docs/delivery.md names as the one moment a crash can send a message twice.
    (bench/crashes.py kills at truly random moments and reports the figures.)"""
    people = await seed_checkins(telegram, database_url, 40, soon(), datetime.now(UTC))
    telegram.faults = FaultPlan(hold_calls=frozenset({15, 40, 65}), hold_spell=True)
    env = bot_env(telegram, database_url)
    for _ in range(3):
        since = len(telegram.arrivals)
        process = await BotProcess.start(env, tmp_path)
        await asyncio.wait_for(telegram.faults.held.wait(), HANG)
        await every_lane_held(telegram)
        await journal_caught_up(telegram, tmp_path, since)
        await process.kill()
        telegram.faults.release()
    last = await BotProcess.start(env, tmp_path)
    await wait_until(lambda: all(prompts(p) >= 1 for p in people), 60, "every check-in")
    await sent_out(telegram, database_url)
    assert await last.terminate() == 0
    assert [prompts(p) for p in people] == [1] * len(people)


async def every_lane_held(telegram: FakeTelegram) -> None:
    """Until each of the dispatcher's lanes has a request held by Telegram: every request that
    was going to leave before the kill has left."""
    await telegram.wait_for(lambda: telegram.inflight >= CONCURRENCY, HANG, "every lane held")


async def test_killed_while_the_agreed_words_are_on_their_way_they_arrive_once(
    telegram: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    """The words' row is claimed in the tap's own transaction and sent the moment it commits.
    Killed with their request at Telegram and its answer not yet back, the restarted bot does
    not send them again (its journal says they left) — and the partner is still told, once."""
    alex, sam = await seed_agreed_words(telegram, database_url, "Right here.", datetime.now(UTC))
    telegram.faults = FaultPlan(script=[Fault("hold")], only_chat=alex.id)
    env = bot_env(telegram, database_url)
    first = await BotProcess.start(env, tmp_path)
    await alex.send("/reassure")
    await asyncio.wait_for(telegram.faults.held.wait(), HANG)
    # Telegram hands an update out again until the bot's next poll confirms it; a bot killed
    # before that would see the same tap again after the restart (a second request). And the
    # request reaches Telegram a moment before the bot's journal line says it left (on a busy
    # machine, longer): the kill lands after both, as the test's name says.
    await wait_until(lambda: not telegram.bot.updates, HANG, "the tap confirmed by the next poll")
    await journal_caught_up(telegram, tmp_path, since=0)
    await first.kill()
    telegram.faults.release()

    second = await BotProcess.start(env, tmp_path)

    def notices() -> int:
        return sum(1 for m in sam.inbox if "Alex asked for reassurance" in m.shown)

    await wait_until(lambda: notices() >= 1, HANG, "Sam's notice")
    await sent_out(telegram, database_url)
    assert await second.terminate() == 0
    assert [m.shown for m in alex.inbox] == ["💛 From Sam:\n\n“Right here.”"]
    assert notices() == 1
    assert await statuses(database_url, "reassure_words") == {"uncertain": 1}
