"""Which process sends scheduled work.

Telegram's budget belongs to the bot, not to each process. So when several processes share one
PostgreSQL database, exactly one of them — the holder of a session-level advisory lock, on a
connection of its own — runs the dispatcher (jobs/dispatcher.py): rituals, notices, retries.
Every process answers its own updates and sends the agreed words of its own taps at once. The
others wait for the lock inside PostgreSQL, which hands it on the moment the holder's connection
closes (a process that stops, or is killed); the new holder settles what the old one left (the
delivery journal, leases) and carries on. The holder hears of every commit that makes something
due, whichever process made it, by LISTEN on the channel `Database.transaction` NOTIFYs.

On SQLite only one process can run: it leads from the start, with nothing to elect and nothing
written in the background."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bot.db.engine import DUE_CHANNEL, is_sqlite

log = logging.getLogger(__name__)

# The advisory lock's key: any number, the same in every process of the bot ("steady").
LOCK_KEY = 0x5374656164
RETRY_SECONDS = 5.0  # after the database could not be reached


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Leadership:
    """`on_elected` when this process starts sending scheduled work; `on_deposed` if it must
    stop (its connection was lost, so another may lead now); `on_due` when any process commits
    something due."""

    def __init__(
        self,
        url: str,
        *,
        on_elected: Callable[[], None],
        on_deposed: Callable[[], None],
        on_due: Callable[[], None],
    ) -> None:
        self._url = url
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._on_due = on_due
        self.leading = False
        self.elected = asyncio.Event()  # set while this process leads
        self._campaign: asyncio.Task[None] | None = None

    @property
    def standing(self) -> bool:
        """Leading, or waiting to lead: either way this process does its part."""
        return self.leading or (self._campaign is not None and not self._campaign.done())

    def start(self) -> None:
        if is_sqlite(self._url):
            self._elected()
        else:
            self._campaign = asyncio.create_task(self._run(), name="leadership")

    async def stop(self) -> None:
        if self._campaign is not None:
            self._campaign.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._campaign
            self._campaign = None
        self.leading = False
        self.elected.clear()

    def _elected(self) -> None:
        self.leading = True
        self.elected.set()
        log.info("this process sends scheduled messages")
        self._on_elected()

    async def _run(self) -> None:
        while True:
            try:
                await self._lead_while_connected()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("leadership: the database is out of reach (%s)", type(exc).__name__)
            if self.leading:
                self.leading = False
                self.elected.clear()
                self._on_deposed()
            await asyncio.sleep(RETRY_SECONDS)

    async def _lead_while_connected(self) -> None:
        connection = await asyncpg.connect(_dsn(self._url))
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)  # waits its turn
            await connection.add_listener(DUE_CHANNEL, self._heard)
            self._elected()
            await lost.wait()
        finally:
            connection.terminate()  # PostgreSQL releases the lock as the session ends

    def _heard(self, *_notification: Any) -> None:
        self._on_due()
