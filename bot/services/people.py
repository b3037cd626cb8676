"""People: who is talking to the bot, who their partner is, and what typed reply we await."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person
from bot.services.common import clean_name, insert_ignore

# How long "the next text you send" stays armed. Long enough to compose something heartfelt;
# short enough that an unrelated message tomorrow is not relayed by surprise.
AWAITING_TTL = timedelta(hours=1)
SEEN_EVERY = timedelta(hours=1)


# Every kind of "the next text you send", numbered for Cancel buttons (which cancel only their
# own prompt, not one armed later).
AWAITABLE = (
    "phrase_reword",
    "phrase_propose",
    "phrase_offer",
    "write_back",
    "nudge_write",
    "checkin_note",
    "trigger_feeling",
    "trigger_need",
    "question_answer",
    "warm_reply",
    "starter_time",
    "letter_write",
)


def awaiting_code(kind: str) -> int:
    return AWAITABLE.index(kind) + 1


def awaiting_kind(code: int) -> str | None:
    return AWAITABLE[code - 1] if 1 <= code <= len(AWAITABLE) else None


@dataclass(frozen=True)
class Awaited:
    kind: str
    ref: int | None


async def touch(
    session: AsyncSession,
    *,
    telegram_id: int,
    chat_id: int,
    first_name: str | None,
    now: datetime,
    is_command: bool = False,
) -> Person:
    """The person behind an update, created on first contact and kept current. A command means
    the person moved on, so any typed reply we were waiting for is dropped."""
    name = clean_name(first_name)
    person = await find(session, telegram_id)
    if person is None:  # first contact; of two updates racing here, one row is written
        await insert_ignore(
            session,
            Person.__table__,  # type: ignore[arg-type]
            {
                "telegram_id": telegram_id,
                "chat_id": chat_id,
                "first_name": name,
                "created_at": now,
                "seen_at": now,
            },
            ["telegram_id"],
        )
        person = await find(session, telegram_id)
    assert person is not None
    # Only what changed is assigned: any assignment, even of the same value, makes the commit
    # run a flush. seen_at is refreshed at most hourly, so most updates do not write (or lock)
    # the person's row at all.
    if person.first_name != name:
        person.first_name = name
    if person.chat_id != chat_id:
        person.chat_id = chat_id
    if now - person.seen_at >= SEEN_EVERY:
        person.seen_at = now
    if is_command:
        clear_awaiting(person)
    return person


# Every update reads its person, every tap their partner (with more: bot/services/reassurance.py):
# built once, as statements with parameters (SQLAlchemy then skips building and keying them anew
# each time; bench/relay.py).
_FIND = (
    select(Person)
    .where(Person.telegram_id == bindparam("telegram_id"))
    .execution_options(populate_existing=True)
)
PARTNER = select(Person).where(
    Person.couple_id == bindparam("couple_id"), Person.id != bindparam("person_id")
)


async def find(session: AsyncSession, telegram_id: int) -> Person | None:
    """The person with this Telegram id, if they have ever talked to the bot — as stored now, even
    if this session loaded them before."""
    return await session.scalar(_FIND, {"telegram_id": telegram_id})


async def partner_of(session: AsyncSession, person: Person) -> Person | None:
    if person.couple_id is None:
        return None
    return await session.scalar(PARTNER, {"couple_id": person.couple_id, "person_id": person.id})


def await_reply(person: Person, kind: str, ref: int | None, now: datetime) -> None:
    person.awaiting = kind
    person.awaiting_ref = ref
    person.awaiting_until = now + AWAITING_TTL


def cancel_awaiting(person: Person, kind: str | None, ref: int) -> bool:
    """Cancel the armed reply only if it is the one the Cancel button was shown with."""
    if kind is None or person.awaiting != kind or (person.awaiting_ref or 0) != ref:
        return False
    return clear_awaiting(person)


def clear_awaiting(person: Person) -> bool:
    if person.awaiting is None and person.awaiting_ref is None and person.awaiting_until is None:
        return False  # nothing armed: nothing assigned (see touch)
    had = person.awaiting is not None
    person.awaiting = None
    person.awaiting_ref = None
    person.awaiting_until = None
    return had


def take_awaiting(person: Person, now: datetime) -> Awaited | None:
    """The typed reply we were waiting for (consumed), or None if nothing is armed or it lapsed."""
    if person.awaiting is None:
        return None
    awaited = Awaited(person.awaiting, person.awaiting_ref)
    fresh = person.awaiting_until is not None and now <= person.awaiting_until
    clear_awaiting(person)
    return awaited if fresh else None
