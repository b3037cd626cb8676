"""A waiting line with a front lane: whoever waits is served in the order they came, except that
those who came `first` (the agreed words) are served before everyone in the ordinary lane.
Shared by the database's turns (bot/db/engine.py) and Telegram's budget (bot/delivery/limiter.py)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable


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
