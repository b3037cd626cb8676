"""/busy and /available: "busy until 17:00 — it's about work, not about you". Busy never holds
back the agreed words; it explains a slow reply before it can be felt as rejection. It ends by
itself at its time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import texts
from bot.db.models import Person
from bot.services.common import clean_text
from bot.services.schedule import at_local, local_date, parse_time, wall_time

MAX_BUSY = timedelta(hours=24)
_LENGTH = re.compile(
    rf"^(?:(\d{{1,2}})(?:{'|'.join(map(re.escape, texts.TYPED_HOURS))}))?"
    rf"(?:(\d{{1,4}})(?:{'|'.join(map(re.escape, texts.TYPED_MINUTES))}))?$",
    re.IGNORECASE,
)


def parse_length(word: str) -> timedelta | None:
    """ "30m", "2h", "1h30m", "90min" → a length; None if it isn't one."""
    match = _LENGTH.match(word.strip())
    if match is None or not any(match.groups()):
        return None
    hours, minutes = (int(g) if g else 0 for g in match.groups())
    length = timedelta(hours=hours, minutes=minutes)
    return length if length > timedelta(0) else None


@dataclass(frozen=True)
class BusySet:
    until: str  # on their own clock
    reason: str | None


def set_busy(person: Person, raw: str, now: datetime) -> BusySet | str:
    """`/busy 17:00 work` or `/busy 2h at the gym`. A clock time means the next time the
    person's clock shows it. Returns the correction to send when the input is not usable."""
    parts = clean_text(raw).split(maxsplit=1)
    if not parts:
        return texts.BUSY_USAGE
    reason = " ".join(parts[1].split()) if len(parts) > 1 else None
    if reason is not None and len(reason) > texts.BUSY_REASON_MAX:
        return texts.too_long(len(reason), texts.BUSY_REASON_MAX)
    length = parse_length(parts[0])
    minutes = parse_time(parts[0])
    if length is not None:
        if length > MAX_BUSY:
            return texts.BUSY_TOO_LONG
        until = now + length
    elif minutes is not None:
        if person.timezone is None:
            return texts.BUSY_NEEDS_ZONE
        today = local_date(now, person.timezone)
        until = at_local(today, minutes, person.timezone)
        if until <= now:
            until = at_local(today + timedelta(days=1), minutes, person.timezone)
    else:
        return texts.BUSY_USAGE
    person.busy_until = until
    person.busy_reason = reason
    return BusySet(until_words(until, person, now, own=True), reason)


def clear_busy(person: Person, now: datetime) -> bool:
    was = busy_until(person, now) is not None
    person.busy_until = None
    person.busy_reason = None
    return was


def busy_until(person: Person, now: datetime) -> datetime | None:
    until = person.busy_until
    return until if until is not None and until > now else None


def until_words(until: datetime, viewer: Person, now: datetime, *, own: bool) -> str:
    """`until` in the viewer's time, with the day when it is not today on their clock: "17:00
    (your time, tomorrow)" for a partner's busy; "17:00 tomorrow" for their own."""
    zone = viewer.timezone
    day = local_date(until, zone)
    days = (day - local_date(now, zone)).days
    said = texts.day_from_today(days, day) if days > 0 else None
    return texts.until_words(wall_time(until, zone), said, yours=not own and zone is not None)


def note_for(person: Person, viewer: Person, now: datetime) -> str | None:
    """What the partner is told when they ask for reassurance while `person` is busy."""
    until = busy_until(person, now)
    if until is None:
        return None
    when = until_words(until, viewer, now, own=False)
    return texts.busy_note(person.first_name, when, person.busy_reason)
