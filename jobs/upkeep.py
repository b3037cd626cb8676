"""Data every couple should have, for couples paired before it existed (the hidden weekly digest
ritual; joint rituals on the couple's clock): added in the background after start, in small
batches, and a no-op once done."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from bot.clock import Clock
from bot.db import Database
from bot.services import rituals

log = logging.getLogger(__name__)

# Small batches: each is one transaction, and on SQLite taps and deliveries wait while it runs.
BATCH = 50


async def upkeep(db: Database, now: datetime) -> None:
    while True:
        async with db.transaction() as session:
            added = await rituals.add_missing_digests(session, now, BATCH)
        if added < BATCH:
            break
    while True:
        async with db.transaction() as session:
            aligned = await rituals.align_joint_clocks(session, now, BATCH)
        if aligned < BATCH:
            return


class Upkeep:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="upkeep")

    async def stop(self) -> None:
        """Unfinished batches are done again at the next start."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        try:
            await upkeep(self._db, self._clock.now())
        except Exception:  # it runs again at the next start
            log.exception("upkeep failed")
