"""/status: both partners' local time, quiet hours and active rituals, on one screen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.models import Person
from bot.services import availability, away, pause, quiet, rituals
from bot.services.common import Refusal
from bot.services.people import partner_of
from bot.services.schedule import local_now, wall_time


@dataclass(frozen=True)
class Clock:
    name: str  # "" for the person asking
    local: str | None  # "23:40", None without a zone
    zone: str | None
    quiet_until: str | None  # in quiet hours now: until when (their local time)
    quiet: str | None  # their quiet hours, "22:30–07:00"
    states: tuple[str, ...] = ()  # taking a moment, busy, away — in the viewer's time


@dataclass(frozen=True)
class Status:
    me: Clock
    partner: Clock | None
    rituals: list[str]


def _states(person: Person, name: str, viewer: Person, now: datetime) -> tuple[str, ...]:
    out = []
    paused = pause.active_until(person, now)
    if paused is not None:
        out.append(texts.pause_status(name, wall_time(paused, viewer.timezone)))
    busy = availability.busy_until(person, now)
    if busy is not None:
        when = availability.until_words(busy, viewer, now, own=person.id == viewer.id)
        out.append(texts.busy_status(name, when, person.busy_reason))
    days = away.days_left(person, now)
    if person.away_until is not None and days is not None:
        day = texts.date_label(person.away_until)
        out.append(f"{texts.away_status(name, day)} {texts.away_countdown(days)}")
    return tuple(out)


def _clock(person: Person, name: str, now: datetime, viewer: Person) -> Clock:
    states = _states(person, name, viewer, now)
    if person.timezone is None:
        return Clock(name, None, None, None, None, states)
    until = quiet.quiet_until(person, now)
    window = (
        texts.time_span(person.quiet_start, person.quiet_end)
        if person.quiet_start is not None and person.quiet_end is not None
        else None
    )
    return Clock(
        name,
        texts.clock(local_now(now, person.timezone)),
        person.timezone,
        texts.clock(local_now(until, person.timezone)) if until else None,
        window,
        states,
    )


async def status(session: AsyncSession, person: Person, now: datetime) -> Status:
    partner = await partner_of(session, person)
    view = await rituals.overview(session, person, now)
    active = (
        [v.label for v in view.rituals if not v.paused] if not isinstance(view, Refusal) else []
    )
    return Status(
        _clock(person, "", now, person),
        _clock(partner, partner.first_name, now, person) if partner else None,
        active,
    )
