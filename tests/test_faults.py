"""Reassurance relays through a Bot API that fails at random (10% of calls, every kind of
fault): each request's notice reaches the partner exactly once, or the requester is told it
could not — and the bot never crashes. bench/faults.py runs 1,000 relays and reports counts."""

from __future__ import annotations

import pytest

from tests.harness import Steady
from tests.relays import run


@pytest.mark.slow
async def test_every_relay_arrives_once_or_the_requester_is_told(steady: Steady) -> None:
    steady.settings.telegram_read_timeout = 0.5  # a "slow" answer (1 s) is then a timeout
    await steady.restart()
    tally = await run(steady, couples=10, taps=10, rate=0.1)
    assert sum(tally.injected.values()) >= 10, tally.injected
    assert tally.unsettled == 0
    assert tally.duplicates == 0
    # Every request: its notice on the partner's screen, or refused for good and the requester
    # told (or, if Telegram refused that too, the requester is known to be unreachable).
    assert tally.delivered + tally.failed == tally.relays, tally.lines()
    assert tally.told + tally.told_unreachable == tally.failed, tally.lines()
    assert tally.statuses["sent"] + tally.statuses["uncertain"] == tally.delivered
