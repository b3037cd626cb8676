"""/away and /back: time apart (travel, a visit). The partner is told; date reminders wait —
a date needs both of you — while check-ins and everything else go on; on the return day both
get a ritual to reconnect, at RECONNECT_AT on their own clock (or at /back)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.db.models import Delivery, Person
from bot.services import outbox, replies
from bot.services.common import Refusal, clean_text
from bot.services.people import partner_of
from bot.services.schedule import at_local, local_date

RECONNECT_AT = 18 * 60  # the evening of the return day
MAX_AHEAD = timedelta(days=366)
RECONNECT_KEY = "away-return"
EVE_AT = 20 * 60  # the evening before the return day: a warm countdown to each of you
EVE_KEY = "away-eve"
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def is_away(person: Person, instant: datetime) -> bool:
    """Away on the day `instant` falls on, by their own clock (the return day is a day back)."""
    return (
        person.away_until is not None and local_date(instant, person.timezone) < person.away_until
    )


def days_left(person: Person, instant: datetime) -> int | None:
    """Days until the return day, on the away person's own clock."""
    if person.away_until is None or not is_away(person, instant):
        return None
    return (person.away_until - local_date(instant, person.timezone)).days


def parse_day(word: str) -> date | None:
    match = _DATE.match(word.strip())
    if match is None:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


@dataclass(frozen=True)
class AwaySet:
    day: str


async def set_away(
    session: AsyncSession, person: Person, raw: str, now: datetime
) -> AwaySet | Refusal | str:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    parts = clean_text(raw).split(maxsplit=1)
    word = parts[0] if parts else ""
    day = parse_day(word)
    if day is None:
        # Written as a date, but not one the calendar has (month 13, 30 February): say so.
        return texts.away_no_such_day(word) if _DATE.match(word) else texts.AWAY_USAGE
    note = " ".join(parts[1].split()) if len(parts) > 1 else None
    if note is not None and len(note) > texts.AWAY_NOTE_MAX:
        return texts.too_long(len(note), texts.AWAY_NOTE_MAX)
    today = local_date(now, person.timezone)
    if day < today:
        return texts.away_past(day, today.year)
    if day == today:
        return texts.AWAY_TODAY
    if day > today + MAX_AHEAD:
        return texts.AWAY_TOO_FAR
    await _drop_reconnect(session, person)
    person.away_until = day
    person.away_note = note
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=outbox.unique_key(f"away:{person.id}"),
        kind="away_notice",
        text=texts.away_notice(person.first_name, texts.date_label(day), note),
        now=now,
    )
    for recipient in (person, partner):
        due = at_local(day, RECONNECT_AT, recipient.timezone)
        await _reconnect(session, person, recipient, f"{day:%Y%m%d}", due, now)
        eve = at_local(day - timedelta(days=1), EVE_AT, recipient.timezone)
        if eve > now:  # back tomorrow, and this evening is over: nothing to count down
            other = partner if recipient is person else person
            await outbox.enqueue(
                session,
                key=f"{EVE_KEY}:{person.id}:{day:%Y%m%d}:{recipient.id}",
                recipient=recipient,
                kind="reunion_eve",
                text=texts.reunion_eve(other.first_name),
                couple_id=person.couple_id,
                due_at=eve,
                now=now,
            )
    return AwaySet(texts.date_label(day))


async def back(session: AsyncSession, person: Person, now: datetime) -> bool | Refusal:
    """/back: time apart ends today; both get the reconnect ritual now."""
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    if not is_away(person, now):
        return False
    await _drop_reconnect(session, person)
    person.away_until = None
    person.away_note = None
    stamp = f"back{now:%Y%m%dT%H%M%S}"
    for recipient in (person, partner):
        await _reconnect(session, person, recipient, stamp, now, now)
    return True


async def _drop_reconnect(session: AsyncSession, person: Person) -> None:
    """The reconnect and the evening-before note of time apart that changed or ended."""
    for prefix in (RECONNECT_KEY, EVE_KEY):
        await session.execute(
            delete(Delivery).where(
                Delivery.dedupe_key.like(f"{prefix}:{person.id}:%"),
                Delivery.status == "pending",
            )
        )


async def _reconnect(
    session: AsyncSession, away: Person, recipient: Person, stamp: str, due: datetime, now: datetime
) -> None:
    await outbox.enqueue(
        session,
        key=f"{RECONNECT_KEY}:{away.id}:{stamp}:{recipient.id}",
        recipient=recipient,
        kind="reconnect",
        text=texts.RECONNECT,
        buttons_for=lambda row: [[(texts.RECONNECT_YES, callbacks.pack(callbacks.AWAY, "y", row))]],
        couple_id=away.couple_id,
        due_at=due,
        now=now,
    )


async def wish(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime
) -> str | Refusal:
    """ "I'd like that" on a reconnect prompt: the partner hears it, once. Returns their name."""
    return await outbox.tell_partner_once(
        session,
        person,
        delivery_id,
        tapped_kind="reconnect",
        key_prefix="reconnect-wish",
        kind="reconnect_wish",
        text=texts.reconnect_wish(person.first_name),
        buttons_for=replies.warm_buttons,
        now=now,
    )
