"""/dates: the dates that matter to a couple — their anniversary, each partner's birthday, and
other dates they name, every year. Both partners are told of every change. Each is reminded a
week and a day ahead, at REMIND_AT on their own clock, never in their quiet hours or a pause;
a birthday's reminders go to the other partner (nobody needs reminding of their own).

The engine is the ritual engine's shape: each (date, partner to remind) has a slot holding the
next reminder instant; the dispatcher asks `materialize()` to turn due slots into outbox rows
and move them on, in one transaction. A 29 February falls on 28 February in other years (it
stays in February, the month it belongs to)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.engine import DUE_CHANGED
from bot.db.models import DateSlot, Delivery, ImportantDate, Person
from bot.services import outbox, slots
from bot.services.common import Refusal, clean_text
from bot.services.people import partner_of
from bot.services.schedule import at_local, in_quiet_hours, local_date, quiet_ends

ANNIVERSARY, BIRTHDAY, OTHER = "anniversary", "birthday", "other"
REMIND_AT = 10 * 60  # a reasonable hour on anyone's clock
LEADS = (7, 1)  # days ahead, in the order they come
# A reminder that could not go out by then (downtime, quiet hours, a pause) is skipped: by then
# the next one, or the day itself, is close.
GRACE = timedelta(hours=12)
EARLIEST_YEAR = 1900
LATEST_AHEAD = 10  # years: a future date ("our wedding") is fine, a typo like 20119 is not
CATCH_UP_LIMIT = 8

_ISO = re.compile(r"^(\d{1,5})-(\d{1,2})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\.?,?$")
_YEAR = re.compile(r"^\d{4}$")


# --- the calendar -------------------------------------------------------------------------


def occasion_in(month: int, day: int, year: int) -> date:
    """The day a date falls on in `year`: 29 February is 28 February in other years."""
    if month == 2 and day == 29 and not calendar.isleap(year):
        return date(year, 2, 28)
    return date(year, month, day)


def next_occasion(when: ImportantDate | When, today: date) -> date:
    """The first day on or after `today` the date falls on (not before the year it is set in,
    for a date still ahead)."""
    year = max(today.year, when.year or 0)
    day = occasion_in(when.month, when.day, year)
    return day if day >= today else occasion_in(when.month, when.day, year + 1)


@dataclass(frozen=True)
class Reminder:
    at: datetime
    occasion: date
    lead: int  # days ahead


def next_reminder(when: ImportantDate | When, zone: str | None, after: datetime) -> Reminder:
    """The first reminder strictly after `after`, on the clock of `zone` (UTC without one)."""
    start = max(local_date(after, zone).year, when.year or 0)
    for year in range(start, start + 3):
        occasion = occasion_in(when.month, when.day, year)
        for lead in LEADS:
            at = at_local(occasion - timedelta(days=lead), REMIND_AT, zone)
            if at > after:
                return Reminder(at, occasion, lead)
    raise AssertionError("a date comes every year")  # pragma: no cover


# --- what people type ---------------------------------------------------------------------


@dataclass(frozen=True)
class When:
    month: int
    day: int
    year: int | None

    def day_in(self, year: int) -> date:
        return occasion_in(self.month, self.day, year)


def _month(word: str) -> int | None:
    word = word.lower().rstrip(".,")
    if len(word) < 3:
        return None
    for number, (short, full) in enumerate(texts.TYPED_MONTHS, start=1):
        if word == short or full.startswith(word):
            return number
    return None


def _valid(year: int | None, month: int, day: int) -> When | None:
    try:
        date(year or 2000, month, day)  # 2000 was a leap year: 29 February is a day
    except ValueError:
        return None
    return When(month, day, year)


def parse_when(words: list[str]) -> tuple[When, int] | None:
    """The day at the end of `words` and how many words it took: "2019-06-14", "14 Jun",
    "Jun 14", "14 June 2019", "June 14 2019"."""
    if words:
        iso = _ISO.match(words[-1])
        if iso:
            found = _valid(*(int(g) for g in iso.groups()))
            return (found, 1) if found else None
    for size in (3, 2):
        if len(words) < size:
            continue
        tail = words[-size:]
        year = None
        if size == 3:
            if not _YEAR.match(tail[2]):
                continue
            year = int(tail[2])
        first, second = tail[0], tail[1]
        day_first = _DAY.match(first)
        day_second = _DAY.match(second)
        if day_first and _month(second):
            found = _valid(year, _month(second) or 0, int(day_first.group(1)))
        elif day_second and _month(first):
            found = _valid(year, _month(first) or 0, int(day_second.group(1)))
        else:
            continue
        return (found, size) if found else None
    return None


def _typed_day(words: list[str]) -> str | None:
    """What looks like the day someone meant at the end of `words` ("2026-13-45", "31 Feb")."""
    if not words or not (any(ch.isdigit() for ch in words[-1]) or _month(words[-1])):
        return None
    if len(words) > 1 and (_month(words[-1]) or _month(words[-2])):
        return " ".join(words[-2:])
    return words[-1]


@dataclass(frozen=True)
class What:
    kind: str
    person_id: int | None
    name: str | None


def _what(words: list[str], person: Person, partner: Person) -> What | str:
    """Anniversary, whose birthday, or the name of another date."""
    lowered = [w.lower() for w in words]
    if lowered == [texts.TYPED_ANNIVERSARY]:
        return What(ANNIVERSARY, None, None)
    if lowered and lowered[0] == texts.TYPED_BIRTHDAY:
        whose = " ".join(lowered[1:])
        if whose in texts.TYPED_ME or whose in ("", person.first_name.lower()):
            return What(BIRTHDAY, person.id, None)
        if whose in texts.TYPED_PARTNER or whose == partner.first_name.lower():
            return What(BIRTHDAY, partner.id, None)
        # "birthday of my mum": a date of their own naming.
    name = " ".join(words)
    if not name:
        return texts.DATE_NAME_EMPTY
    if len(name) > texts.DATE_NAME_MAX:
        return texts.date_name_too_long(len(name))
    return What(OTHER, None, name)


# --- reading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    date_id: int
    number: int
    title: str
    day: str  # "14 Jun 2019"
    next_day: date
    days: int  # until next_day


@dataclass(frozen=True)
class Listing:
    entries: list[Entry]
    remind_at: str


def _title(row: ImportantDate, reader: Person, partner: Person) -> str:
    if row.kind == BIRTHDAY:
        return texts.date_title(
            BIRTHDAY, None, "" if row.person_id == reader.id else partner.first_name
        )
    return texts.date_title(row.kind, row.name, None)


async def _couple_dates(session: AsyncSession, couple_id: int) -> list[ImportantDate]:
    rows = await session.scalars(
        select(ImportantDate).where(ImportantDate.couple_id == couple_id).order_by(ImportantDate.id)
    )
    return list(rows)


def _ordered(rows: list[ImportantDate], today: date) -> list[ImportantDate]:
    """Soonest first: the numbers /dates shows and /dates remove takes."""
    return sorted(rows, key=lambda r: (next_occasion(r, today), r.id))


async def listing(session: AsyncSession, person: Person, now: datetime) -> Listing | Refusal:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    today = local_date(now, person.timezone)
    entries = []
    for number, row in enumerate(
        _ordered(await _couple_dates(session, person.couple_id), today), 1
    ):
        upcoming = next_occasion(row, today)
        entries.append(
            Entry(
                row.id,
                number,
                _title(row, person, partner),
                texts.day_of_year(row.month, row.day, row.year),
                upcoming,
                (upcoming - today).days,
            )
        )
    return Listing(entries, texts.time_of_day(REMIND_AT))


# --- changing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    title: str
    day: str
    old_day: str | None  # set when an existing date moved
    partner: str
    remind_at: str


@dataclass(frozen=True)
class Unchanged:
    pass


def _same(row: ImportantDate, what: What) -> bool:
    if row.kind != what.kind:
        return False
    if what.kind == BIRTHDAY:
        return row.person_id == what.person_id
    if what.kind == OTHER:
        return (row.name or "").casefold() == (what.name or "").casefold()
    return True


async def add(
    session: AsyncSession, person: Person, raw: str, now: datetime
) -> Saved | Unchanged | Refusal | str:
    """`/dates add <what> <day>`: a new date, or a new day for one the couple has (the same
    anniversary, someone's birthday, or a name). Both are told; the slots are set."""
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    words = clean_text(raw).split()
    parsed = parse_when(words)
    if parsed is None:
        typed = _typed_day(words)
        return texts.DATES_USAGE if typed is None else texts.date_unreadable(typed)
    when, used = parsed
    today = local_date(now, person.timezone)
    if when.year is not None and not EARLIEST_YEAR <= when.year <= today.year + LATEST_AHEAD:
        return texts.date_year_unlikely(when.year)
    what = _what(words[: len(words) - used], person, partner)
    if isinstance(what, str):
        return what
    if what.kind == BIRTHDAY and when.year is not None and when.day_in(when.year) > today:
        return texts.date_year_unlikely(when.year)  # nobody is born in the future
    rows = await _couple_dates(session, person.couple_id)
    row = next((r for r in rows if _same(r, what)), None)
    old_day = None
    if row is not None:
        if (row.month, row.day, row.year) == (when.month, when.day, when.year):
            return Unchanged()
        old_day = texts.day_of_year(row.month, row.day, row.year)
        await _drop_queued(session, row)
        row.month, row.day, row.year = when.month, when.day, when.year
        if what.name is not None:
            row.name = what.name  # as typed this time
    else:
        if len(rows) >= texts.DATES_MAX:
            return Refusal.LIMIT
        row = ImportantDate(
            couple_id=person.couple_id,
            kind=what.kind,
            person_id=what.person_id,
            name=what.name,
            month=when.month,
            day=when.day,
            year=when.year,
            added_by_id=person.id,
            created_at=now,
        )
        session.add(row)
        await session.flush()
    await _schedule(session, row, person, partner, now)
    day = texts.day_of_year(row.month, row.day, row.year)
    seen_by_partner = _title(row, partner, person)
    text = (
        texts.date_added_notice(person.first_name, seen_by_partner, day)
        if old_day is None
        else texts.date_changed_notice(person.first_name, seen_by_partner, old_day, day)
    )
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=outbox.unique_key(f"dates:{row.id}"),
        kind="date_notice",
        text=text,
        now=now,
    )
    return Saved(
        _title(row, person, partner), day, old_day, partner.first_name, texts.time_of_day(REMIND_AT)
    )


@dataclass(frozen=True)
class Removed:
    title: str
    day: str
    partner: str


async def _remove(
    session: AsyncSession, person: Person, partner: Person, row: ImportantDate, now: datetime
) -> Removed:
    day = texts.day_of_year(row.month, row.day, row.year)
    removed = Removed(_title(row, person, partner), day, partner.first_name)
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=outbox.unique_key(f"dates:{row.id}"),
        kind="date_notice",
        text=texts.date_removed_notice(person.first_name, _title(row, partner, person), day),
        now=now,
    )
    await _drop_queued(session, row)
    await session.delete(row)  # its slots go with it
    await session.flush()
    return removed


async def remove_number(
    session: AsyncSession, person: Person, number: int, now: datetime
) -> Removed | Refusal | str:
    """`/dates remove <n>`, n as /dates numbers them now."""
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    today = local_date(now, person.timezone)
    rows = _ordered(await _couple_dates(session, person.couple_id), today)
    if not 1 <= number <= len(rows):
        return texts.no_such_date(number)
    return await _remove(session, person, partner, rows[number - 1], now)


async def remove_pressed(
    session: AsyncSession, person: Person, date_id: int, now: datetime
) -> Removed | Refusal:
    """✖ Remove under /dates: only a date of the couple the presser is in now."""
    partner = await partner_of(session, person)
    row = await session.get(ImportantDate, date_id)
    if partner is None or row is None or row.couple_id != person.couple_id:
        return Refusal.STALE
    return await _remove(session, person, partner, row, now)


# --- reminders ----------------------------------------------------------------------------


def _reminded(row: ImportantDate, person: Person, partner: Person) -> list[Person]:
    """Who is reminded: both, but of a birthday only the one whose birthday it isn't."""
    if row.kind == BIRTHDAY:
        return [p for p in (person, partner) if p.id != row.person_id]
    return [person, partner]


async def _drop_queued(session: AsyncSession, row: ImportantDate) -> None:
    """A reminder waiting out quiet hours or a pause would now say something untrue."""
    await session.execute(
        delete(Delivery).where(
            Delivery.dedupe_key.like(f"date:{row.id}:%"), Delivery.status == "pending"
        )
    )


async def _schedule(
    session: AsyncSession, row: ImportantDate, person: Person, partner: Person, now: datetime
) -> None:
    """Each partner to remind gets a slot at their next reminder; nobody else has one."""
    session.info[DUE_CHANGED] = True
    slots = {
        s.person_id: s
        for s in await session.scalars(select(DateSlot).where(DateSlot.date_id == row.id))
    }
    for recipient in _reminded(row, person, partner):
        due = next_reminder(row, recipient.timezone, now).at
        slot = slots.pop(recipient.id, None)
        if slot is None:
            session.add(DateSlot(date_id=row.id, person_id=recipient.id, next_due_at=due))
        else:
            slot.next_due_at = due
    for stale in slots.values():
        await session.delete(stale)


async def reschedule_person(session: AsyncSession, person: Person, now: datetime) -> None:
    """After a change of zone: the person's reminders follow their new clock. (One already sent
    today is not sent again: its outbox key names the day and the lead, not the instant.)"""
    session.info[DUE_CHANGED] = True
    rows = await session.execute(
        select(DateSlot, ImportantDate)
        .join(ImportantDate, ImportantDate.id == DateSlot.date_id)
        .where(DateSlot.person_id == person.id)
    )
    for slot, row in rows:
        slot.next_due_at = next_reminder(row, person.timezone, now).at


# The earliest instant a reminder is due (a scalar subquery, for the dispatcher's look).
NEXT_SLOT = select(func.min(DateSlot.next_due_at)).scalar_subquery()


async def materialize(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Turn every reminder due by `now` into an outbox row and move its slot on. Returns how
    many slots were handled (0: nothing was due)."""
    on = ImportantDate.id == DateSlot.date_id
    rows = await slots.due(session, DateSlot, ImportantDate, on, now, limit)
    for slot, row in rows:
        await _materialize_slot(session, slot, row, now)
    return len(rows)


async def _materialize_slot(
    session: AsyncSession, slot: DateSlot, row: ImportantDate, now: datetime
) -> None:
    both = await slots.people(session, slot, row.couple_id)
    if both is None or slot.next_due_at is None:
        return
    person, partner = both
    # The clock the person has now decides (they may have moved since the slot was set): the
    # reminder around the slot's instant, on that clock.
    reminder = next_reminder(row, person.timezone, slot.next_due_at - GRACE)
    if reminder.at > now:
        slot.next_due_at = reminder.at
        return
    upcoming = next_reminder(row, person.timezone, reminder.at)
    for _ in range(CATCH_UP_LIMIT):  # after long downtime, the older ones are stale
        if upcoming.at > now:
            break
        await _remind(session, row, person, partner, reminder, now, stale=True)
        reminder, upcoming = upcoming, next_reminder(row, person.timezone, upcoming.at)
    await _remind(session, row, person, partner, reminder, now, stale=now > reminder.at + GRACE)
    slot.next_due_at = upcoming.at


async def _remind(
    session: AsyncSession,
    row: ImportantDate,
    person: Person,
    partner: Person,
    reminder: Reminder,
    now: datetime,
    *,
    stale: bool,
) -> None:
    """The reminder, due at its instant — or after the person's quiet hours or pause, within
    GRACE; otherwise recorded as skipped."""
    due = max(reminder.at, now)
    if person.paused_until is not None and person.paused_until > due:
        due = person.paused_until
    if person.timezone and in_quiet_hours(
        due, person.quiet_start, person.quiet_end, person.timezone
    ):
        assert person.quiet_end is not None
        due = quiet_ends(due, person.quiet_end, person.timezone)
    # Someone Telegram can't reach (they stopped the bot) is not written to; their rituals wait too.
    unreachable = person.unreachable_since is not None
    skipped = stale or unreachable or due > reminder.at + GRACE
    years = reminder.occasion.year - row.year if row.kind == ANNIVERSARY and row.year else None
    await outbox.enqueue(
        session,
        key=f"date:{row.id}:{person.id}:{reminder.occasion:%Y%m%d}:{reminder.lead}",
        recipient=person,
        kind="date_reminder",
        text=None
        if skipped
        else texts.day_ahead(
            _title(row, person, partner), reminder.lead, reminder.occasion, years or None
        ),
        couple_id=row.couple_id,
        due_at=due,
        grace=GRACE,
        occurrence_at=reminder.at,
        status="skipped" if skipped else "pending",
        now=now,
    )
