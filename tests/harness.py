"""Running the real bot against the fake Telegram server, with a clock the test controls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from bot.app import serve
from bot.config import Settings
from bot.runtime import Runtime
from tests.faketelegram import FakeTelegram, FakeUser

# A Monday morning, away from any daylight-saving change: where the tests' clock starts.
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)


class ErrorLog(logging.Handler):
    """Collects ERROR records from the bot, so a test fails if a handler crashed."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Steady:
    """The bot under test, its fake Telegram, its clock and its runtime. `restart()` stops the
    process-equivalent and starts a new one on the same database and clock (downtime)."""

    telegram: FakeTelegram
    clock: FakeClock
    settings: Settings
    errors: ErrorLog
    chat_spacing: float = 0.02
    rt: Runtime = field(init=False)  # set by start()
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _idle: Callable[[], bool] = field(default=lambda: True)
    _planned: Callable[[], bool] = field(default=lambda: False)

    def user(self, first_name: str) -> FakeUser:
        return self.telegram.user(first_name)

    async def start(self) -> None:
        self._stop = asyncio.Event()
        bot = self.telegram.bots[self.settings.require_token()]
        handed_before = bot.handed_out
        ready: asyncio.Future[Runtime] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(
            serve(
                self.settings,
                clock=self.clock,
                stop=self._stop,
                on_ready=ready.set_result,
                poll_timeout=10,
            )
        )
        task = self._task
        either: list[asyncio.Future[Any]] = [task, ready]
        await asyncio.wait(either, timeout=30, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()  # raises the startup error
        assert ready.done(), "the bot did not start"
        self.rt = rt = ready.result()
        rt.dispatcher.chat_spacing = self.chat_spacing
        # On PostgreSQL the process sends scheduled work once it holds the leader's lock.
        await asyncio.wait_for(rt.leadership.elected.wait(), 30)

        def idle() -> bool:
            """Every update handed to this bot since it started is handled, and nothing is in
            hand: no look at the outbox running or due, no breathing step, no upkeep. (What is
            planned for later — a row due, the next breathing step — is not in hand.)"""
            updates = rt.updates
            return (
                updates.in_flight == 0
                and updates.started >= bot.handed_out - handed_before
                and not rt.dispatcher.busy
                and not rt.breathing.stepping
                and not rt.upkeep.running
            )

        self._idle = idle
        self.telegram.watchers.append(idle)
        self._planned = lambda: rt.breathing.steps_planned > 0
        self.telegram.planned.append(self._planned)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, 30)
            self._task = None
        if self._idle in self.telegram.watchers:
            self.telegram.watchers.remove(self._idle)
        if self._planned in self.telegram.planned:
            self.telegram.planned.remove(self._planned)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def advance(self, delta: timedelta) -> None:
        """Move time forward in one jump; the dispatcher looks at what became due."""
        await self.advance_to(self.clock.now() + delta)

    async def advance_to(self, instant: datetime) -> None:
        self.clock.set(instant)
        if self._task is not None:
            self.rt.wake_dispatcher()
            await self.settle()

    async def walk(self, delta: timedelta) -> None:
        """Live through `delta` as a running bot does: from one due instant to the next (the
        dispatcher's next planned look), settling at each, then to the end."""
        end = self.clock.now() + delta
        await self.settle()
        for _ in range(10_000):
            now = self.clock.now()
            if now >= end:
                return
            planned = self.rt.dispatcher.next_look
            await self.advance_to(end if planned is None else min(max(planned, now), end))
        raise AssertionError("the bot kept planning a look at the same instant")

    async def settle(self) -> None:
        """Wait until the bot is idle: no update, request or due row in hand."""
        await self.telegram.settle()


def settings_for(telegram: FakeTelegram, database_url: str, **extra: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=SecretStr(telegram.token),
        telegram_api_base_url=telegram.base_url,
        database_url=database_url,
        **({"breathe_seconds": TEST_BREATHE_SECONDS} | extra),  # type: ignore[arg-type]
    )


# /breathe steps take 4 s each for people; stories watch them at this pace.
TEST_BREATHE_SECONDS = 0.05
# Telegram's per-chat pace is 1 message/s; most stories don't need to wait for it (the
# dispatcher tests check the real spacing).
TEST_CHAT_SPACING = 0.02


@contextlib.asynccontextmanager
async def running_bot(
    telegram: FakeTelegram,
    database_url: str,
    clock: FakeClock,
    chat_spacing: float = TEST_CHAT_SPACING,
    **settings: object,
) -> AsyncIterator[Steady]:
    """Start the bot exactly as `python -m bot run` does (serve()), in this event loop."""
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    steady = Steady(
        telegram, clock, settings_for(telegram, database_url, **settings), errors, chat_spacing
    )
    await steady.start()
    try:
        yield steady
    finally:
        await steady.stop()
        logging.getLogger().removeHandler(errors)
