"""Telegram's rate budget (TELEGRAM_RATE_LIMIT, about 30 messages a second) belongs to the bot,
not to each process. Every process says it is alive in `nodes` each BEAT, and paces itself at an
equal share among the processes seen within ALIVE. A new process waits one BEAT before it sends,
so the others have made room; a process that stops says goodbye, one that dies stops counting
after ALIVE (until then the others keep to their smaller share: the safe direction)."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from bot.clock import Clock
from bot.db import Database
from bot.db.models import Node
from bot.delivery.limiter import ResilientRateLimiter

log = logging.getLogger(__name__)

BEAT = timedelta(seconds=1)
ALIVE = timedelta(seconds=5)
FORGET = timedelta(hours=1)  # rows of processes gone this long are removed


class SharedBudget:
    def __init__(
        self, db: Database, limiter: ResilientRateLimiter, total: float, node: str, clock: Clock
    ) -> None:
        self._db = db
        self._limiter = limiter
        self._total = total
        self._node = node
        self._clock = clock
        self.processes = 1

    async def beat(self) -> int:
        """Say this process is alive; take its share. Returns how many are sharing."""
        now = self._clock.now()
        async with self._db.transaction() as session:
            seen = await session.execute(
                update(Node).where(Node.node == self._node).values(seen_at=now)
            )
            if not getattr(seen, "rowcount", 0):
                session.add(Node(node=self._node, seen_at=now))
            await session.execute(delete(Node).where(Node.seen_at < now - FORGET))
            await session.flush()
            alive = await session.scalar(
                select(func.count()).select_from(Node).where(Node.seen_at > now - ALIVE)
            )
        processes = max(int(alive or 1), 1)
        if processes != self.processes:
            log.info("%d processes share the rate budget", processes)
        self.processes = processes
        if self._total > 0:
            self._limiter.set_rate(self._total / processes)
        return processes

    async def leave(self) -> None:
        async with self._db.transaction() as session:
            await session.execute(delete(Node).where(Node.node == self._node))
