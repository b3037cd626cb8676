"""Local times, days and time zones: when a ritual next happens, and whether an instant falls in
someone's quiet hours. Pure functions; every instant in and out is aware UTC.

Recurrence comes from APScheduler's CronTrigger (which local *dates* match the days). The wall
time on that date is then resolved to an instant here, because the trigger alone gets the two
daylight-saving edges wrong for us:

- spring forward (02:30 does not exist that night): CronTrigger answers 03:30; a ritual should
  come at the first valid time after, 03:00 — the moment the clocks jump.
- fall back (02:30 happens twice): CronTrigger answers both, then repeats itself; a ritual
  should come once, at the first 02:30.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from apscheduler.triggers.cron import CronTrigger

from bot import texts

# CronTrigger's day names. The day names people type are texts.TYPED_WEEKDAYS.
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EVERY_DAY = 0b1111111
WEEKDAYS = 0b0011111
WEEKENDS = 0b1100000

_TIME = re.compile(r"^([01]?\d|2[0-3])[:.h]([0-5]\d)$")


# --- parsing what people type -------------------------------------------------------------


def parse_time(text: str) -> int | None:
    """ "12:30", "7:05", "19.00" → minutes after midnight; None if it isn't a 24-hour time."""
    match = _TIME.match(text.strip())
    if match is None:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_days(text: str) -> int | None:
    """ "daily", "weekdays", "weekends", or days like "mon,wed,fri" → a bit mask (Monday = bit 0)."""
    word = text.strip().lower()
    if word in texts.TYPED_DAY_SETS:
        return texts.TYPED_DAY_SETS[word]
    mask = 0
    for part in re.split(r"[,\s]+", word):
        if not part:
            continue
        day = next((i for i, names in enumerate(texts.TYPED_WEEKDAYS) if part in names), None)
        if day is None:
            return None
        mask |= 1 << day
    return mask or None


def _cron_days(mask: int) -> str:
    return ",".join(name for i, name in enumerate(DAY_NAMES) if mask & (1 << i))


# --- time zones ---------------------------------------------------------------------------

UTC_NAMES = {"utc", "etc/utc", "gmt", "etc/gmt", "zulu", "etc/zulu", "universal", "etc/universal"}
_FIXED_OFFSET = re.compile(r"^(?:utc|gmt|etc/gmt)?\s*[+-−]\s*\d{1,2}(?::?\d{2})?$", re.IGNORECASE)


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """lower-case name → canonical name, without the fixed-offset Etc/GMT±N zones."""
    names = {z for z in available_timezones() if not re.match(r"^Etc/GMT[+-]\d+$", z)}
    return {z.lower(): z for z in names}


@dataclass(frozen=True)
class ZoneChoice:
    zone: str | None  # the canonical IANA name, if the input was one
    fixed_offset: bool = False  # "UTC+2" and the like: refused, they break at DST
    suggestions: tuple[str, ...] = ()


def choose_zone(text: str) -> ZoneChoice:
    name = text.strip().replace(" ", "_")
    if name.lower() in UTC_NAMES:
        return ZoneChoice("UTC")
    if _FIXED_OFFSET.match(text.strip()) or re.match(r"^Etc/GMT[+-]\d+$", name, re.IGNORECASE):
        return ZoneChoice(None, fixed_offset=True)
    canonical = _zones().get(name.lower())
    if canonical is not None:
        return ZoneChoice(canonical)
    lowered = list(_zones())
    close = difflib.get_close_matches(name.lower(), lowered, n=3, cutoff=0.6)
    if not close:  # "Berlin" → Europe/Berlin: match on the city part
        close = [z for z in lowered if z.rsplit("/", 1)[-1] == name.lower()][:3]
    return ZoneChoice(None, suggestions=tuple(_zones()[c] for c in close))


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_now(instant: datetime, zone_name: str) -> datetime:
    return instant.astimezone(zone(zone_name))


# --- when things happen -------------------------------------------------------------------


def _offset_changes_at(start: datetime, end: datetime, tz: ZoneInfo) -> datetime:
    """The instant in (start, end] at which `tz`'s UTC offset changes (binary search, 1 s)."""
    low, high = start, end
    offset = low.astimezone(tz).utcoffset()
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def resolve(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The instant (UTC) when the wall clock in `tz` shows `minutes` on `day`.

    A time that happens twice (clocks go back) resolves to the first; a time that does not
    happen (clocks go forward) to the moment the clocks jump — the first valid time after it."""
    wall = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    first = wall.replace(fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None):
        return first
    # In a gap: fold=0 reads it with the offset before the jump, fold=1 with the one after.
    after_jump = wall.replace(fold=1).astimezone(UTC)
    return _offset_changes_at(min(first, after_jump), max(first, after_jump), tz)


def next_occurrence(minutes: int, days: int, zone_name: str, after: datetime) -> datetime | None:
    """The first instant strictly after `after` when the wall clock in the zone shows `minutes`
    on one of `days`. None if `days` is empty."""
    if not days & EVERY_DAY:
        return None
    tz = zone(zone_name)
    trigger = CronTrigger(
        day_of_week=_cron_days(days), hour=minutes // 60, minute=minutes % 60, timezone=tz
    )
    probe = after
    for _ in range(16):  # a matching date comes within a week; DST edges cost a step or two
        candidate = trigger.get_next_fire_time(None, probe)
        if candidate is None:
            return None
        day = candidate.replace(tzinfo=None).date()
        instant = resolve(day, minutes, tz)
        if instant > after:
            return instant
        probe = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    raise RuntimeError("no next occurrence found")  # pragma: no cover


def in_quiet_hours(instant: datetime, start: int | None, end: int | None, zone_name: str) -> bool:
    """Whether `instant` falls in the daily window start–end (which may wrap midnight)."""
    if start is None or end is None:
        return False
    local = instant.astimezone(zone(zone_name))
    now = local.hour * 60 + local.minute
    if start < end:
        return start <= now < end
    return now >= start or now < end


def quiet_ends(instant: datetime, end: int, zone_name: str) -> datetime:
    """The next end of quiet hours after `instant`."""
    upcoming = next_occurrence(end, EVERY_DAY, zone_name, instant)
    assert upcoming is not None
    return upcoming


def wall_time(instant: datetime, zone_name: str | None) -> str:
    """ "18:20" on the person's own clock; with "UTC" said aloud when they have no zone yet."""
    if zone_name is None:
        return texts.utc_clock(instant.astimezone(UTC))
    return texts.clock(local_now(instant, zone_name))


def local_date(instant: datetime, zone_name: str | None) -> date:
    return local_now(instant, zone_name or "UTC").date()


def at_local(day: date, minutes: int, zone_name: str | None) -> datetime:
    """The instant the person's clock shows `minutes` on `day`."""
    return resolve(day, minutes, zone(zone_name or "UTC"))
