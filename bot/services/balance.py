"""Balance, if both partners agree to it: beyond a number of reassurance requests within a
window, the words still come — after a gentle offer of one minute of breathing first, which one
tap skips. Nothing here is ever shown as a count or a score.

The partner hears what actually happened: a request held for its minute is told to them when
the words go (or when the person chooses to breathe first, or to have the words now), never
"they received your words" while the words still wait."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.engine import DUE_CHANGED
from bot.db.models import Agreement, Delivery, Person, Phrase, ReassuranceRequest
from bot.services.availability import parse_length

# Words held for a breathing minute arrive by themselves after it, whatever is tapped.
BREATHE_FIRST_WAIT = timedelta(minutes=1)
# Words held for a breathing run come at its end; should the run be lost (a restart), at most
# this long after it would have ended.
BREATHING_MARGIN = timedelta(minutes=1)
MIN_WINDOW, MAX_WINDOW = timedelta(minutes=30), timedelta(hours=24)
MAX_REQUESTS = 20
_SETTING = re.compile(
    rf"^(\d{{1,3}})\s*(?:/|{'|'.join(map(re.escape, texts.BALANCE_TYPED_JOINERS))})?\s*(\S+)$",
    re.IGNORECASE,
)


def parse(raw: str) -> str | None:
    """ "3 2h", "3/2h", "3 in 90m" → the stored value "3/120"; None if it isn't a setting."""
    match = _SETTING.match(" ".join(raw.split()))
    if match is None:
        return None
    count, window = int(match.group(1)), parse_length(match.group(2))
    if not 1 <= count <= MAX_REQUESTS or window is None or not MIN_WINDOW <= window <= MAX_WINDOW:
        return None
    return f"{count}/{int(window.total_seconds()) // 60}"


def default_value() -> str:
    count, minutes = texts.BALANCE_DEFAULT
    return f"{count}/{minutes}"


def _split(value: str) -> tuple[int, int]:
    count, minutes = value.split("/")
    return int(count), int(minutes)


def describe(value: str) -> str:
    return texts.balance_words(*_split(value))


_MADE = (
    select(func.count())
    .select_from(ReassuranceRequest)
    .where(
        ReassuranceRequest.requester_id == bindparam("requester_id"),
        ReassuranceRequest.created_at > bindparam("since"),
    )
)


_INSTANT = timedelta(microseconds=1)
_AGREED_AT = select(Agreement.agreed_at).where(
    Agreement.couple_id == bindparam("couple_id"),
    Agreement.kind == "balance",
    Agreement.status == "agreed",
)


async def beyond(session: AsyncSession, person: Person, now: datetime, value: str | None) -> bool:
    """Whether a request made now goes past the couple's agreed balance, `value` (None: none
    agreed; the caller reads it with its other facts, see bot/services/reassurance.py). Only
    requests made since both agreed count."""
    if value is None:
        return False
    count, minutes = _split(value)
    since = now - timedelta(minutes=minutes)
    agreed_at = await session.scalar(_AGREED_AT, {"couple_id": person.couple_id})
    if agreed_at is not None and agreed_at > since:
        since = agreed_at - _INSTANT  # a request in the instant of agreeing counts
    made = await session.scalar(_MADE, {"requester_id": person.id, "since": since})
    return int(made or 0) >= count


async def waiting_words(session: AsyncSession, person: Person, now: datetime) -> int | None:
    """The person's words held for their minute, if any: a tap meanwhile brings no second set."""
    return await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.recipient_id == person.id,
            Delivery.couple_id == person.couple_id,
            Delivery.kind == "reassure_words",
            Delivery.status == "pending",
            Delivery.due_at > now,
        )
        .order_by(Delivery.id)
        .limit(1)
    )


def _held(person: Person, delivery_id: int) -> list[ColumnElement[bool]]:
    return [
        Delivery.id == delivery_id,
        Delivery.recipient_id == person.id,
        Delivery.couple_id == person.couple_id,
        Delivery.kind == "reassure_words",
        Delivery.status == "pending",
    ]


async def holds(session: AsyncSession, person: Person, delivery_id: int) -> bool:
    """Whether these are the person's own words, still waiting for their minute."""
    found = await session.scalar(select(Delivery.id).where(*_held(person, delivery_id)))
    return found is not None


async def hold(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime, breathing: timedelta
) -> bool:
    """ "Breathe first": keep the held words back for the breathing's length and a margin, so
    they never arrive mid-breath; its end, or Stop, brings them sooner. False if the button is
    not this person's or the words have already gone."""
    until = now + breathing + BREATHING_MARGIN
    if not await holds(session, person, delivery_id):
        return False
    await session.execute(
        update(Delivery)
        .where(*_held(person, delivery_id), Delivery.due_at < until)
        .values(due_at=until)
    )
    await _tell_partner(session, person, delivery_id, now, texts.reassurance_asked_breathing)
    session.info[DUE_CHANGED] = True
    return True


async def release(
    session: AsyncSession, person: Person, delivery_id: int, at: datetime, chosen: bool = True
) -> bool:
    """Bring held words forward to `at` ("just the words", or — not `chosen` — the end of the
    breathing). False if the button is not this person's or the words have already gone."""
    result = await session.execute(
        update(Delivery).where(*_held(person, delivery_id), Delivery.due_at > at).values(due_at=at)
    )
    released = bool(getattr(result, "rowcount", 0))
    if released and chosen:
        await _tell_partner(session, person, delivery_id, at, texts.reassurance_asked_words_now)
    session.info[DUE_CHANGED] = True
    return released


async def release_for(
    session: AsyncSession, person_id: int, delivery_id: int, at: datetime
) -> bool:
    """The end of a breathing run: the words it held come at `at`, if they are still waiting."""
    person = await session.get(Person, person_id)
    return person is not None and await release(session, person, delivery_id, at, chosen=False)


async def _tell_partner(
    session: AsyncSession,
    person: Person,
    delivery_id: int,
    at: datetime,
    text: Callable[[str, str], str],
) -> None:
    """The person chose: their partner's notice of the request, which waited with the words,
    goes now and says what happened. (While the partner takes a moment it waits on, and says
    what it said: by the time they read it, the words have long arrived.)"""
    key = await session.scalar(select(Delivery.dedupe_key).where(Delivery.id == delivery_id))
    asked = await session.get(ReassuranceRequest, int(key.split(":")[1])) if key else None
    if asked is None or asked.phrase_id is None:
        return
    notice = await session.scalar(
        select(Delivery).where(
            Delivery.dedupe_key == f"asked:{asked.id}", Delivery.status == "pending"
        )
    )
    partner = await session.get(Person, asked.partner_id)
    phrase = await session.get(Phrase, asked.phrase_id)
    if notice is None or partner is None or phrase is None:
        return
    if partner.paused_until is not None:  # read when their moment ends: said in the past
        text = texts.reassurance_asked_after_breathing
    else:
        notice.due_at = at
    notice.payload = {**(notice.payload or {}), "text": text(person.first_name, phrase.text)}
