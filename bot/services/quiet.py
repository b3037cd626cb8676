"""/quiet: a daily window (it may wrap midnight) in which rituals wait and relayed messages
arrive without sound."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person
from bot.services.schedule import format_time, in_quiet_hours, parse_time, quiet_ends

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
    if text.strip().lower() in ("off", "none", "clear"):
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
    return QuietSet(format_time(start), format_time(end))


def quiet_now(person: Person, now: datetime) -> bool:
    if person.timezone is None:
        return False
    return in_quiet_hours(now, person.quiet_start, person.quiet_end, person.timezone)


def quiet_until(person: Person, now: datetime) -> datetime | None:
    """When the current quiet hours end, if the person is in them now."""
    if not quiet_now(person, now):
        return None
    assert person.timezone is not None and person.quiet_end is not None
    return quiet_ends(now, person.quiet_end, person.timezone)
