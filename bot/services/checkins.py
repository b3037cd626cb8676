"""Daily check-ins: "How are you feeling?" 1–5, shared with the partner, with a few words if the
person wants. A check-in that is not answered is simply not answered: nobody is chased or told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import CheckIn, Person
from bot.services import comfort, outbox, replies
from bot.services.common import Refusal, Rejected, TooLong, clean_text
from bot.services.people import await_reply, partner_of

AWAIT_NOTE = "checkin_note"
NOTE_MAX_CHARS = 1000


def mood_buttons(delivery_id: int) -> Buttons:
    return [
        [
            (label, callbacks.pack(callbacks.CHECKIN, "m", delivery_id, mood))
            for mood, label in texts.MOODS.items()
        ]
    ]


@dataclass(frozen=True)
class Answered:
    partner_name: str
    mood: str
    checkin_id: int


async def answer(
    session: AsyncSession, person: Person, delivery_id: int, mood: int, now: datetime
) -> Answered | Refusal:
    partner = await outbox.tapped(session, person, delivery_id, "checkin")
    if partner is None or mood not in texts.MOODS:
        return Refusal.STALE
    if await session.scalar(select(CheckIn.id).where(CheckIn.delivery_id == delivery_id)):
        return Refusal.ALREADY_ANSWERED
    assert person.couple_id is not None
    checkin = CheckIn(
        couple_id=person.couple_id,
        person_id=person.id,
        delivery_id=delivery_id,
        mood=mood,
        created_at=now,
    )
    session.add(checkin)
    await session.flush()
    low = mood in comfort.LOW_MOODS  # the partner gets one-tap ways to answer a hard day
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"checkin:{delivery_id}",
        kind=comfort.LOW_KIND if low else "checkin_shared",
        text=texts.checkin_shared(person.first_name, texts.MOODS[mood]),
        buttons_for=comfort.low_checkin_buttons if low else replies.warm_buttons,
        now=now,
    )
    # Words typed next go with it (the answer says so; any command or Cancel drops that).
    await_reply(person, AWAIT_NOTE, checkin.id, now)
    return Answered(partner.first_name, texts.MOODS[mood], checkin.id)


async def _own_checkin(
    session: AsyncSession, person: Person, checkin_id: int
) -> tuple[CheckIn, Person] | None:
    checkin = await session.get(CheckIn, checkin_id)
    partner = await partner_of(session, person)
    if (
        checkin is None
        or partner is None
        or checkin.person_id != person.id
        or checkin.couple_id != person.couple_id
    ):
        return None
    return checkin, partner


async def start_note(
    session: AsyncSession, person: Person, checkin_id: int, now: datetime
) -> str | Refusal:
    found = await _own_checkin(session, person, checkin_id)
    if found is None:
        return Refusal.STALE
    if found[0].note is not None:
        return Refusal.ALREADY_ANSWERED
    await_reply(person, AWAIT_NOTE, checkin_id, now)
    return found[1].first_name


async def add_note(
    session: AsyncSession, person: Person, checkin_id: int, raw: str, now: datetime
) -> str | Rejected:
    found = await _own_checkin(session, person, checkin_id)
    if found is None:
        return Refusal.STALE
    checkin, partner = found
    words = clean_text(raw)
    if not words:
        return Refusal.EMPTY
    if len(words) > NOTE_MAX_CHARS:
        await_reply(person, AWAIT_NOTE, checkin_id, now)
        return TooLong(len(words), NOTE_MAX_CHARS)
    if checkin.note is not None:
        return Refusal.ALREADY_ANSWERED
    checkin.note = words
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"checkin-note:{checkin_id}",
        kind="checkin_shared",
        text=texts.checkin_note_shared(person.first_name, words),
        buttons_for=replies.warm_buttons,
        now=now,
    )
    return partner.first_name
