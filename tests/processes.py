"""Steady as a real process (`python -m bot`), for tests that kill it."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database
from bot.db.models import Couple, Delivery, Person, Phrase, RitualSlot
from bot.services import people, phrases, rituals
from bot.services.schedule import EVERY_DAY
from tests.faketelegram import FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parents[1]
# Seconds: only a guard against a hang (every wait ends on its event), generous for a busy machine.
HANG = 120.0


def bot_env(telegram: FakeTelegram, database_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DATABASE_", "LOG_"))
    }
    env.update(
        TELEGRAM_BOT_TOKEN=telegram.token,
        TELEGRAM_API_BASE_URL=telegram.base_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        # A request the fake server holds must still be in flight when a test kills the bot,
        # however slow the machine: a read timeout would free its lane for a request that
        # reaches the server in the instant before the kill (docs/delivery.md: the one moment
        # a crash can send a message twice), which these tests avoid on purpose.
        TELEGRAM_READ_TIMEOUT="120",
    )
    env.update(extra)
    return env


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process

    @classmethod
    async def start(cls, env: dict[str, str], cwd: Path) -> BotProcess:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process)

    async def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as in a power cut or an OOM kill."""
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def terminate(self, timeout: float = 10) -> int:
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), timeout)
        return self.process.returncode or 0


async def seed_checkins(
    telegram: FakeTelegram, database_url: str, couples: int, due: datetime, now: datetime
) -> list[FakeUser]:
    """`couples` couples in UTC with a daily check-in whose next occurrence is `due` for both
    partners. Returns the people, who have all pressed Start."""
    db = Database(database_url)
    users: list[FakeUser] = []
    async with db.transaction() as session:
        for i in range(couples):
            pair = [telegram.user(f"A{i}"), telegram.user(f"B{i}")]
            members = await _couple(session, pair, now)
            added = await rituals.add(session, members[0], "checkin", 12 * 60, EVERY_DAY, now)
            assert isinstance(added, rituals.Added)
            users += pair
        # Only the check-ins matter here: the notices of "a ritual was added" count as sent.
        await session.execute(update(Delivery).values(status="sent", payload=None))
        await session.execute(update(RitualSlot).values(next_due_at=due))
    await db.dispose()
    return users


async def seed_agreed_words(
    telegram: FakeTelegram, database_url: str, words: str, now: datetime
) -> tuple[FakeUser, FakeUser]:
    """Alex and Sam, a couple in UTC who have pressed Start; Sam has agreed to say `words` when
    Alex asks for reassurance."""
    db = Database(database_url)
    users = (telegram.user("Alex"), telegram.user("Sam"))
    async with db.transaction() as session:
        alex, sam = await _couple(session, list(users), now)
        asked = await phrases.propose(session, alex, words, now)
        assert isinstance(asked, phrases.Words)
        phrase = await session.scalar(select(Phrase.id).where(Phrase.receiver_id == alex.id))
        assert phrase is not None
        assert isinstance(
            await phrases.answer_proposal(session, sam, phrase, True, now), phrases.Words
        )
        await session.execute(update(Delivery).values(status="sent", payload=None))
    await db.dispose()
    return users


async def _couple(session: AsyncSession, users: list[FakeUser], now: datetime) -> list[Person]:
    couple = Couple(created_at=now)
    session.add(couple)
    await session.flush()
    members = []
    for user in users:
        user.chat.started = True
        person = await people.touch(
            session, telegram_id=user.id, chat_id=user.id, first_name=user.first_name, now=now
        )
        person.timezone = "UTC"
        person.couple_id = couple.id
        members.append(person)
    await session.flush()
    return members


async def statuses(
    database_url: str, kind: str | None = None, *, every: bool = False
) -> dict[str, int]:
    """How many rows of each status: the rituals' occurrences, the rows of one `kind`, or
    `every` row."""
    db = Database(database_url)
    async with db.transaction() as session:
        which = (
            true() if every else Delivery.kind == kind if kind else Delivery.ritual_id.is_not(None)
        )
        rows = await session.execute(select(Delivery.status).where(which))
        counts: dict[str, int] = {}
        for (status,) in rows:
            counts[status] = counts.get(status, 0) + 1
    await db.dispose()
    return counts


async def sent_out(telegram: FakeTelegram, database_url: str, timeout: float = HANG) -> None:
    """Until nothing is left to send — no outbox row pending or being sent, no call in flight —
    after which no message (and so no duplicate) can still come."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        counts = await statuses(database_url, kind=None, every=True)
        if not counts.get("pending") and not counts.get("sending") and not telegram.inflight:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still sending after {timeout} s: {counts}")
        await asyncio.sleep(0.05)


SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


def journal_lines(directory: Path) -> int:
    """Requests that delivery journals under `directory` say have left their process (journals
    live beside the SQLite file, or in data/journal with PostgreSQL)."""
    return sum(
        line.startswith("+ ")
        for path in directory.rglob("*.sent")
        for line in path.read_text().splitlines()
    )


async def journal_caught_up(telegram: FakeTelegram, directory: Path, since: int) -> None:
    """Until the running bot's journal names every message Telegram received from it (since
    `telegram.arrivals[since]`): a request reaches Telegram a moment before its process notes
    that it left — on a busy machine, longer — and a kill meant to land after both waits here."""

    def caught_up() -> bool:
        sent = sum(method in SENDS for _, method, _ in telegram.arrivals[since:])
        return journal_lines(directory) >= sent

    await wait_until(caught_up, HANG, "the journal's lines for what Telegram received")


def prompts(user: FakeUser) -> int:
    return sum(1 for m in user.inbox if m.shown == "How are you feeling?")


async def wait_until(predicate: object, timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def soon(seconds: float = 1.0) -> datetime:
    from datetime import UTC

    return datetime.now(UTC) + timedelta(seconds=seconds)
