"""A waiting line with a front lane: whoever waits is served in the order they came, except that
those who came `first` (the agreed words) are served before everyone in the ordinary lane.
Shared by the database's turns (bot/db/engine.py) and Telegram's budget (bot/delivery/limiter.py)."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from contextlib import suppress


class Lanes:
    def __init__(self) -> None:
        self._lanes: tuple[deque[asyncio.Future[None]], ...] = (deque(), deque())

    def __bool__(self) -> bool:
        """Anyone waiting (a waiter that gave up may still be counted until it is passed)."""
        return any(self._lanes)

    async def wait(self, first: bool = False, unused: Callable[[], None] | None = None) -> None:
        """Until served. Cancelled just after being served, it calls `unused` (to pass on what
        it was served) before the cancellation goes on."""
        waiter = asyncio.get_running_loop().create_future()
        lane = self._lanes[0 if first else 1]
        lane.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.cancelled():
                lane.remove(waiter)
            elif unused is not None:
                unused()
            raise

    def serve(self) -> bool:
        """Serve the next one still waiting; False if there is none."""
        for lane in self._lanes:
            while lane:
                waiter = lane.popleft()
                if not waiter.done():
                    waiter.set_result(None)
                    return True
        return False


class Urgent:
    """Work that must not wait — the agreed words, from the tap until they are sent — counted
    while in flight, so that work which can wait a moment (the dispatcher's ordinary rounds, the
    records of the words already sent) steps aside: on one event loop, a burst of taps otherwise
    shares the CPU with the partners' notices and those records. Deferred work waits at most
    `patience` seconds from the moment urgent work began (overlapping holds are one busy spell),
    so a stream of taps cannot starve it."""

    def __init__(self, patience: float = 1.0) -> None:
        self.patience = patience
        self._in_flight = 0
        self._busy_since = 0.0
        self._calm = asyncio.Event()
        self._calm.set()

    def hold(self) -> Hold:
        if not self._in_flight:
            self._busy_since = time.monotonic()
            self._calm.clear()
        self._in_flight += 1
        return Hold(self)

    def _release(self) -> None:
        self._in_flight -= 1
        if not self._in_flight:
            self._calm.set()

    async def step_aside(self) -> None:
        """Until nothing urgent is in flight, or this busy spell is `patience` old."""
        left = self._busy_since + self.patience - time.monotonic()
        if self._in_flight and left > 0:
            with suppress(TimeoutError):
                await asyncio.wait_for(self._calm.wait(), left)


class Hold:
    """One urgent piece of work; released when it leaves the `with` block, or earlier by
    `release()` (the words are sent: recording them can wait)."""

    def __init__(self, urgent: Urgent) -> None:
        self.urgent = urgent
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self.urgent._release()

    def __enter__(self) -> Hold:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
