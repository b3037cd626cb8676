"""Observability: with METRICS_LISTEN set, /metrics serves Prometheus' text format — updates by
kind, deliveries by outcome, dispatcher lag, relay latency — and /healthz says whether the bot
is ready (database answers, dispatcher running), over real HTTP."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select

from bot import texts
from bot.db.models import Delivery
from tests.faketelegram import FakeTelegram
from tests.harness import FakeClock, Steady, running_bot
from tests.stories import agree_phrase, pair
from tests.test_webhook import free_port


@pytest.fixture
async def observed(
    telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> AsyncIterator[tuple[Steady, str]]:
    port = free_port()
    async with running_bot(
        telegram, database_url, clock, metrics_listen=f"127.0.0.1:{port}"
    ) as steady:
        yield steady, f"http://127.0.0.1:{port}"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def value(exposition: str, sample: str) -> float:
    """The value of one sample line, e.g. 'steady_updates_total{kind="message"}'."""
    match = re.search(rf"^{re.escape(sample)} (\S+)$", exposition, re.MULTILINE)
    assert match, f"{sample} not in /metrics"
    return float(match.group(1))


async def test_metrics_count_what_the_bot_did(observed: tuple[Steady, str]) -> None:
    steady, base = observed
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "Right here.")
    for _ in range(3):
        await alex.tap(texts.REASSURE_BUTTON)
        await alex.expect("💛 From Sam")
    await steady.settle()
    status, body = await get(f"{base}/metrics")
    assert status == 200
    # Two /start, /pair, /phrase and three taps; Sam's "agree" was a button.
    assert value(body, 'steady_updates_total{kind="message"}') == 7
    assert value(body, 'steady_updates_total{kind="callback_query"}') >= 1  # "agree"
    assert value(body, 'steady_deliveries_total{outcome="sent"}') >= 6  # words and notices
    assert value(body, "steady_relay_latency_seconds_count") == 3
    assert value(body, "steady_dispatcher_lag_seconds") >= 0


async def test_late_and_skipped_deliveries_are_counted(observed: tuple[Steady, str]) -> None:
    steady, base = observed
    alex, sam = await pair(steady)
    for user in (alex, sam):
        await user.send("/timezone UTC")
        await user.expect("Your time zone is UTC")
    await alex.send("/ritual add checkin 12:00 daily")
    await alex.expect("Added:")
    # Down (the clock jumps) past the check-in by 2 hours: sent late, within its 3-hour grace.
    await steady.advance(timedelta(hours=5))
    await alex.expect(texts.CHECKIN_PROMPT)
    _, body = await get(f"{base}/metrics")
    async with steady.rt.db.transaction() as session:
        rows = (
            await session.execute(select(Delivery.kind, Delivery.due_at, Delivery.sent_at))
        ).all()
    late = [r.kind for r in rows if r.sent_at and (r.sent_at - r.due_at).total_seconds() > 60]
    assert late.count("checkin") == 2  # both partners'
    assert value(body, 'steady_deliveries_total{outcome="late"}') == len(late)


async def test_healthz_is_ready_until_the_dispatcher_stops(observed: tuple[Steady, str]) -> None:
    steady, base = observed
    status, body = await get(f"{base}/healthz")
    assert (status, body) == (200, '{"database": "ok", "dispatcher": "ok"}')
    steady.rt.dispatcher.stop()
    status, body = await get(f"{base}/healthz")
    assert (status, body) == (503, '{"database": "ok", "dispatcher": "failing"}')
