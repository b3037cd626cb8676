"""/quiet: a daily window (it may wrap midnight) in which rituals wait and relayed messages
arrive without sound."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.models import Person
from bot.services.schedule import in_quiet_hours, parse_time, quiet_ends

_RANGE = re.compile(r"^\s*(\S+?)\s*[-–—]\s*(\S+)\s*$")


@dataclass(frozen=True)
class QuietSet:
    start: str
    end: str


class QuietProblem:
    USAGE = "usage"
    SAME = "same"
    NO_ZONE = "no_zone"


async def set_quiet(session: AsyncSession, person: Person, text: str) -> QuietSet | str | None:
    """`/quiet 22:30-07:00` sets, `/quiet off` clears (returns None); a QuietProblem otherwise."""
    if text.strip().lower() in texts.QUIET_OFF_WORDS:
        person.quiet_start = person.quiet_end = None
        return None
    match = _RANGE.match(text)
    start = parse_time(match.group(1)) if match else None
    end = parse_time(match.group(2)) if match else None
    if start is None or end is None:
        return QuietProblem.USAGE
    if start == end:
        return QuietProblem.SAME
    if person.timezone is None:
        return QuietProblem.NO_ZONE
    person.quiet_start, person.quiet_end = start, end
    return QuietSet(texts.time_of_day(start), texts.time_of_day(end))


def in_window(now: datetime, start: int | None, end: int | None, zone: str | None) -> bool:
    """Whether `now` falls in quiet hours start–end in `zone` (none without a zone)."""
    return zone is not None and in_quiet_hours(now, start, end, zone)


def window_ends(
    now: datetime, start: int | None, end: int | None, zone: str | None
) -> datetime | None:
    """When the quiet hours `now` falls in end, if it falls in them."""
    if not in_window(now, start, end, zone) or end is None or zone is None:
        return None
    return quiet_ends(now, end, zone)


def quiet_until(person: Person, now: datetime) -> datetime | None:
    """When the current quiet hours end, if the person is in them now."""
    return window_ends(now, person.quiet_start, person.quiet_end, person.timezone)
