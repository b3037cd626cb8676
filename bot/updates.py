"""Updates from different people are handled concurrently; updates from one person in order.

PTB's default is strictly sequential (one slow handler delays everyone), and
`concurrent_updates(True)` loses per-person order ("✍️ Write back", then the text, must be
handled in that order). This processor keeps one lock per person."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

UNLIMITED = 1_000_000


def _key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_chat is not None:
            return update.effective_chat.id
    return None


class PerPersonUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 64) -> None:
        # PTB takes its slot before calling us; that slot is made unlimited and the real limit
        # applied here, after the person's lock — so one person's burst waits on their own
        # lock without holding the slots everyone else needs.
        super().__init__(UNLIMITED)
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.started = 0  # updates handed to this processor
        self.in_flight = 0  # of those, not yet handled

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        self.started += 1
        self.in_flight += 1
        try:
            await self._in_turn(_key(update), coroutine)
        finally:
            self.in_flight -= 1

    async def _in_turn(self, key: int | None, coroutine: Awaitable[Any]) -> None:
        if key is None:
            async with self._slots:
                await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if self._waiting[key] == 0:  # nobody else queued for this person: drop the lock
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
