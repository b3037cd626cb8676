"""Telegram's limits for every Bot API call Steady makes: PTB's `BaseRateLimiter`, implemented
here.

- **The budget** (`TELEGRAM_RATE_LIMIT`, about 30 messages a second for the whole bot): a call
  into a chat takes one message, the moment before it goes. Messages are handed out evenly
  spaced, one at a time — not a second's worth at once, which Telegram can count as twice its
  limit in some 1-second window — by priority (the agreed words, then replies to what someone
  just did, then the rest of the outbox), and in the order asked within a priority.
- **A flood pause.** Telegram's 429 says how long to wait (`retry_after`). From that answer until
  the wait has passed no call of any kind goes out — sends, edits, button answers — whatever
  else finishes meanwhile; only the pause's own end lifts it, and then the budget starts again
  at its even pace, so the held calls do not go out in one burst.
- **Retries**: a 429 is waited out and the call made again, in its place in line. A direct reply
  whose request certainly did not reach Telegram (a network failure) is tried again after a
  short backoff; an outbox row's request (`Outbox(priority)`) is not — the sender records the
  failure and the row is sent again from the outbox, with its own backoff."""

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
# Of the configured rate: Telegram counts arrivals, and the moment between a message's turn and
# its request reaching Telegram varies a little.
PACE = 0.985
WINDOW = 1.0  # seconds: Telegram counts a bot's messages per second


@dataclass(frozen=True)
class Outbox:
    """`rate_limit_args` of an outbox row's request: its place in line; failures go back to
    the sender, which retries from the outbox."""

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

    @property
    def waiting(self) -> int:
        """Callers waiting for their turn."""
        return len(self._waiting)

    def _free(self) -> bool:
        return not self._waiting and self._now() >= self._opens_at()

    async def take(self, priority: Priority, place: int | None = None) -> int:
        """One message: at once if one is free, else when its turn comes. Returns its place in
        line; a call made again after a flood pause passes it back and keeps that place."""
        if place is None:
            place = next(self._order)
        if self._free():
            self._handed(self._now())
            return place
        waiter = asyncio.get_running_loop().create_future()
        entry = (priority, place, waiter)
        heapq.heappush(self._waiting, entry)
        self._plan()
        try:
            await waiter
        except asyncio.CancelledError:
            if entry in self._waiting:  # never served: it takes nobody's turn
                self._waiting.remove(entry)
                heapq.heapify(self._waiting)
            raise  # (served just before: that message goes unused)
        return place

    def _handed(self, now: float) -> None:
        """The next message may go a period after this one was due — so a turn handed out a
        little late (a busy event loop) does not push every later one back — but never less
        than three quarters of a period after it: at most a quarter period is made up, so no
        1-second window holds more than the budget."""
        self._free_at = max(self._free_at, now - self.period / 4) + self.period

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

    def spent(self, seconds: float) -> None:
        """Count the coming `seconds` as used already: another process of the bot may have just
        used them (Telegram counts the bot, not the process)."""
        if not self.period:
            return
        self._free_at = max(self._free_at, self._now() + seconds)
        if self._timer is not None:  # planned for before then
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
        while now >= self._opens_at() and self._waiting:
            _, _, waiter = heapq.heappop(self._waiting)
            if not waiter.done():  # (one cancelled a moment ago is left out)
                waiter.set_result(None)
                self._handed(now)
        self._plan()


class RateLimiter(BaseRateLimiter[Outbox]):
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

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Outbox | None,
    ) -> bool | JSONDict | list[JSONDict]:
        # A message into a chat (a send, an edit) is what Telegram's budget counts.
        counted = data.get("chat_id") is not None
        priority = Priority.REPLY if rate_limit_args is None else rate_limit_args.priority
        place: int | None = None
        floods = failures = 0
        while True:
            if counted:
                place = await self.budget.take(priority, place)
            else:
                await self.budget.calm()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                # Nothing was sent: once the pause is over the same call goes again, in the place
                # in line it had, so what was refused still goes in order.
                wait = retry_after(exc).total_seconds()
                self.budget.pause(wait)
                if floods >= self._flood_retries:
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
