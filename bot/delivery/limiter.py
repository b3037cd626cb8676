"""PTB's AIORateLimiter (Telegram's overall budget; RetryAfter waits and retries), plus a few
retries with backoff for network failures that certainly did not reach Telegram — for every
Bot API call, including direct replies that do not go through the outbox.

The outbox takes its budget *before* it claims a row (`reserve()`), then sends "prepaid", so a
claimed row never waits in the limiter: a crash while waiting there could lose it (a claimed row
is never sent twice, see docs/delivery.md). Prepaid calls are not retried here either; the
delivery path reschedules them itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import NetworkError
from telegram.ext import AIORateLimiter

from bot.delivery import journal
from bot.delivery.errors import Failure, classify
from bot.lanes import Lanes

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
PREPAID = -1  # rate_limit_args of a call whose budget reserve() already took
PACE = 0.985  # of the budget, on the wire: the margin for arrival times Telegram measures


class Budget(AsyncLimiter):
    """One message every `period` seconds (a bucket of one: see set_rate), handed out in the
    order asked — except that a turn asked `first` (the agreed words) goes before every ordinary
    one still waiting. Also PTB's overall limiter for direct replies, which take ordinary turns."""

    def __init__(self, period: float) -> None:
        super().__init__(1, period)
        self.period = period
        self._free_at = 0.0  # loop time from which the next message may go
        self._waiting = Lanes()
        self._timer: asyncio.TimerHandle | None = None

    def has_capacity(self, amount: float = 1) -> bool:
        loop = asyncio.get_running_loop()
        return not self._waiting and loop.time() >= self._free_at

    def take_now(self) -> bool:
        """Take a message if one is free this instant (nobody waiting), without waiting."""
        if not self.has_capacity():
            return False
        self._free_at = asyncio.get_running_loop().time() + self.period
        return True

    async def acquire(self, amount: float = 1, *, first: bool = False) -> None:
        if self.take_now():
            return
        loop = asyncio.get_running_loop()
        if self._timer is None:
            self._timer = loop.call_at(self._free_at, self._hand_out, loop)
        # Cancelled just after being handed its message: that one goes unused.
        await self._waiting.wait(first)

    def _hand_out(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        if self._waiting.serve():
            self._free_at = loop.time() + self.period
            if self._waiting:
                self._timer = loop.call_at(self._free_at, self._hand_out, loop)


class ResilientRateLimiter(AIORateLimiter):
    def __init__(
        self,
        *,
        overall_max_rate: float = 30,
        network_retries: int = 3,
        backoff_seconds: float = 0.5,
        max_retries: int = 3,
    ) -> None:
        # overall_max_rate 0 switches the overall limit off (e.g. a self-hosted Bot API server).
        super().__init__(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._period = 0.0
        self._budget: Budget | None = None
        self._last_write = 0.0
        self._lead = 0.0
        self._wire = asyncio.Lock()
        self.set_rate(overall_max_rate)
        self._network_retries = network_retries
        self._backoff = backoff_seconds
        self._resume: asyncio.TimerHandle | None = None

    def set_rate(self, rate: float) -> None:
        """Pace calls evenly at `rate` a second (this process's share of the bot's budget).

        PTB's limiter allows a burst of a whole second's budget, then refills: in some 1-second
        windows that is nearly twice the budget, which Telegram answers with 429. A bucket of one
        spaces calls 1/rate apart instead; the outbox's requests are also paced on the wire, at
        PACE of the rate, because Telegram counts arrivals and a busy event loop moves them."""
        if self._base_limiter is not None and rate > 0:
            if self._budget is None:
                self._base_limiter = self._budget = Budget(1 / rate)
            else:  # a new share (bot/delivery/budget.py): the same queue, a new pace
                self._budget.period = 1 / rate
            self._period = 1 / (rate * PACE)  # the wire's pace, a little slower: see _paced

    async def _paced(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> bool | JSONDict | list[JSONDict]:
        """A prepaid call's budget was taken before its row was claimed, and claims take
        varying time; so requests also reach the wire one at a time, a period apart, measured
        from when the last one was actually written (the transport reports it, see
        journal.on_written) — a stalled event loop cannot bunch them up."""
        if self._period <= 0:
            return await callback(*args, **kwargs)
        loop = asyncio.get_running_loop()
        await self._wire.acquire()
        held = True

        released = loop.time()

        def written() -> None:
            nonlocal held
            if held:
                held = False
                self._last_write = loop.time()
                # How long the last request took from release to wire; the next is released
                # that much early, so writes land a period apart. Capped at a quarter period, the
                # early starts telescope: no window of requests is squeezed by more than that.
                self._lead = min(self._last_write - released, self._period / 4)
                self._wire.release()

        try:
            wait = self._last_write + self._period - self._lead - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            released = loop.time()
            with journal.on_written(written):
                return await callback(*args, **kwargs)
        finally:
            if held:  # never written (refused before sending, or failed to connect)
                held = False
                self._wire.release()

    async def reserve(self, first: bool = False) -> None:
        """Take one message from the overall budget, after any flood-control pause; `first`:
        before anything else waiting for it."""
        await self._retry_after_event.wait()
        if self._budget is not None:
            await self._budget.acquire(first=first)

    @property
    def unlimited(self) -> bool:
        return self._base_limiter is None

    def take_now(self) -> bool:
        """reserve(), if it would return at once; False (nothing taken) if it would wait."""
        if not self._retry_after_event.is_set():
            return False
        return self._budget is None or self._budget.take_now()

    def has_budget(self) -> bool:
        """Whether reserve() would return at once."""
        if not self._retry_after_event.is_set():
            return False
        return self._base_limiter is None or self._base_limiter.has_capacity()

    def pause(self, wait: timedelta) -> None:
        """Telegram asked everyone to wait (429): hold every call for `wait`."""
        self._retry_after_event.clear()
        if self._resume is not None:
            self._resume.cancel()
        loop = asyncio.get_running_loop()
        self._resume = loop.call_later(wait.total_seconds(), self._retry_after_event.set)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if rate_limit_args == PREPAID:
            return await self._paced(callback, args, kwargs)
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except NetworkError as exc:
                # getUpdates has its own retry loop in the Updater, getMe the one at start-up.
                if (
                    endpoint in ("getUpdates", "getMe")
                    or attempt >= self._network_retries
                    or classify(exc) is not Failure.RETRY
                ):
                    raise
                delay = self._backoff * 2**attempt
                log.info("%s failed (%s); retrying in %.1fs", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                attempt += 1
