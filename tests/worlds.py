"""A story's outcome, built once per test module and handed to each test as a fresh copy: the
database as the story left it, the same people at a new fake Telegram server (same ids, chats
started, same keyboard), and the clock where it stopped. For tables of cases that each start
from the same two couples — the authorisation tests — so that each case costs one bot start,
not the whole story. A test module names its story in a module-scoped fixture `prepared`
(`prepare(databases, folder, story)`); its tests take the fixture `w` (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tests.databases import Databases
from tests.faketelegram import FakeTelegram, FakeUser
from tests.harness import T0, FakeClock, Steady, running_bot

# The story: it makes people and things, and returns the ids a test needs by name.
Story = Callable[[Steady], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Someone:
    name: str
    started: bool
    keyboard: dict[str, Any] | None


@dataclass(frozen=True)
class Prepared:
    database: str  # to copy from
    people: tuple[Someone, ...]  # in the order they first wrote (which gives their ids)
    refs: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class World:
    steady: Steady
    people: dict[str, FakeUser]  # by lower-case name
    refs: dict[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.people[name] if name in self.people else self.refs[name]


def prepare(databases: Databases, folder: Path, story: Story) -> Prepared:
    """Play `story` once against a bot of its own, and keep what it left."""
    url = databases.migrated(folder)

    async def play() -> Prepared:
        telegram = FakeTelegram()
        await telegram.start()
        clock = FakeClock(T0)
        try:
            async with running_bot(telegram, url, clock) as steady:
                refs = await story(steady)
                await steady.settle()
                assert not steady.errors.records, [r.getMessage() for r in steady.errors.records]
        finally:
            await telegram.stop()
        people = tuple(
            Someone(u.first_name, u.chat.started, u.chat.reply_keyboard)
            for u in telegram.users.values()
        )
        return Prepared(url, people, refs, clock.now())

    return asyncio.run(play())


@contextlib.asynccontextmanager
async def entered(prepared: Prepared, url: str) -> AsyncIterator[World]:
    """The prepared world in `url` (a copy of its database), with the bot running in it."""
    telegram = FakeTelegram()
    await telegram.start()
    try:
        people = {}
        for someone in prepared.people:
            user = telegram.user(someone.name)
            user.chat.started = someone.started
            user.chat.reply_keyboard = someone.keyboard
            people[someone.name.lower()] = user
        async with running_bot(telegram, url, FakeClock(prepared.at)) as steady:
            yield World(steady, people, prepared.refs)
            assert not steady.errors.records, [r.getMessage() for r in steady.errors.records]
    finally:
        await telegram.stop()
