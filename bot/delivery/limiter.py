"""Telegram's limits for every Bot API call Steady makes: PTB's `BaseRateLimiter`, implemented
here.

- **The budget** (`TELEGRAM_RATE_LIMIT`, about 30 messages a second for the whole bot): a call
  into a chat takes one message. Messages are handed out evenly spaced, one at a time — not a
  second's worth at once, which Telegram can count as twice its limit in some 1-second window —
  by priority (the agreed words, then replies to what someone just did, then the rest), and in
  the order asked within a priority.
- **A flood pause.** Telegram's 429 says how long to wait (`retry_after`). From that answer until
  the wait has passed no call of any kind goes out — sends, edits, button answers — whatever
  else finishes meanwhile; only the pause's own end lifts it, and then the budget starts again
  at its even pace, so the held calls do not go out in one burst.
- **Retries of direct replies**: a 429 is waited out and the call made again; a network failure
  that certainly did not reach Telegram is tried again after a short backoff.

Outbox rows (bot/delivery/sender.py) take their message before they are claimed (`reserve`) and
are then called with `Prepaid`: nothing queues between a claim and its request. They are not
retried here — the sender records the failure and the row is sent again from the outbox."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from telegram.error import NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from bot.delivery.errors import Failure, classify, retry_after
from bot.services.outbox import Priority

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]
# Of the configured rate, on the wire: Telegram counts arrivals, and a busy event loop moves them.
PACE = 0.97


@dataclass(frozen=True)
class Prepaid:
    """`rate_limit_args` of a call whose message `RateLimiter.reserve` already took."""

    priority: Priority


class Budget:
    """One message every `period` seconds, to those waiting in priority order; a flood pause
    holds them all until it ends."""

    def __init__(self, rate: float) -> None:
        self.period = 1 / (rate * PACE) if rate > 0 else 0.0
        self._free_at = 0.0  # loop time from which the next message may go
        self._paused_until = 0.0
        self._calm = asyncio.Event()  # cleared by a flood pause; set only by its own end
        self._calm.set()
        self._lift: asyncio.TimerHandle | None = None
        self._waiting: list[tuple[Priority, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None

    @staticmethod
    def _now() -> float:
        return asyncio.get_running_loop().time()

    def _opens_at(self) -> float:
        return max(self._free_at, self._paused_until)

    def free(self) -> bool:
        """Whether `take` would return at once."""
        return not self._waiting and self._now() >= self._opens_at()

    @property
    def paused(self) -> bool:
        return not self._calm.is_set()

    async def take(self, priority: Priority) -> None:
        """One message: at once if one is free, else when its turn comes."""
        if self.free():
            self._free_at = self._now() + self.period
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (priority, next(self._order), waiter)
        heapq.heappush(self._waiting, entry)
        self._plan()
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.cancelled():  # never served: it takes nobody's turn
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
            raise  # (served just before: that message goes unused)

    def pause(self, seconds: float) -> None:
        """Telegram's flood control: nothing is handed out for `seconds` (a longer pause already
        running stays as it is)."""
        until = self._now() + seconds
        if until > self._paused_until:
            self._paused_until = until
            self._calm.clear()
            if self._lift is not None:
                self._lift.cancel()
            self._lift = asyncio.get_running_loop().call_at(until, self._calm.set)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._plan()

    async def calm(self) -> None:
        """Until no flood pause holds calls."""
        await self._calm.wait()

    def _plan(self) -> None:
        if self._timer is None and self._waiting:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_at(self._opens_at(), self._hand_out)

    def _hand_out(self) -> None:
        self._timer = None
        now = self._now()
        if now >= self._opens_at() and self._waiting:
            _, _, waiter = heapq.heappop(self._waiting)
            waiter.set_result(None)
            self._free_at = now + self.period
        self._plan()


class RateLimiter(BaseRateLimiter[Prepaid]):
    def __init__(
        self,
        rate: float,
        *,
        network_retries: int = 3,
        backoff_seconds: float = 0.5,
        flood_retries: int = 3,
    ) -> None:
        # rate 0 switches the budget off (a self-hosted Bot API server); flood pauses still hold.
        self.budget = Budget(rate)
        self.unlimited = rate <= 0
        self._network_retries = network_retries
        self._backoff = backoff_seconds
        self._flood_retries = flood_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def reserve(self, priority: Priority = Priority.QUEUED) -> None:
        """Take one message for an outbox row, before claiming it; call with `Prepaid` then."""
        await self.budget.take(priority)

    def has_budget(self) -> bool:
        """Whether `reserve` would return at once."""
        return self.budget.free()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Prepaid | None,
    ) -> bool | JSONDict | list[JSONDict]:
        # A message into a chat (a send, an edit) is what Telegram's budget counts.
        counted = data.get("chat_id") is not None
        floods = failures = 0
        while True:
            if rate_limit_args is not None:
                if self.budget.paused:  # its message, taken before the pause, was not used
                    await self.budget.calm()
                    await self.budget.take(rate_limit_args.priority)
            elif counted:
                await self.budget.take(Priority.REPLY)
            else:
                await self.budget.calm()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = retry_after(exc).total_seconds()
                self.budget.pause(wait)
                if rate_limit_args is not None or floods >= self._flood_retries:
                    raise
                floods += 1
                log.info("%s: Telegram asked to wait %.0f s; trying again then", endpoint, wait)
            except NetworkError as exc:
                # getMe has its own retries at start-up; an outbox row is retried from the outbox.
                if (
                    rate_limit_args is not None
                    or endpoint == "getMe"
                    or failures >= self._network_retries
                    or classify(exc) is not Failure.RETRY
                ):
                    raise
                delay = self._backoff * 2**failures
                log.info("%s failed (%s); retrying in %.1fs", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                failures += 1
