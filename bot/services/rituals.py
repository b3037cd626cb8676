"""Rituals: recurring moments, exactly once. Personal ones (a check-in, a nudge prompt) come at
each partner's own local time; joint ones (date, talk, question, the digest and review) at one
instant for both, on the couple's clock (Couple.timezone).

The engine, in one sentence: every (ritual, recipient) has a slot row holding the next due
instant in UTC; the dispatcher asks `materialize()` to turn due slots into outbox rows (one per
occurrence, unique by key) and to advance the slots — both in one transaction, so a crash
either did neither or both. Sending is the outbox's job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.engine import DUE_CHANGED
from bot.db.models import Couple, Delivery, Person, Ritual, RitualSlot
from bot.services import (
    away,
    checkins,
    journal,
    nudges,
    outbox,
    questions,
    review,
    slots,
    triggers,
)
from bot.services.common import Refusal
from bot.services.people import await_reply, clear_awaiting, partner_of
from bot.services.schedule import (
    EVERY_DAY,
    WEEKDAYS,
    WEEKENDS,
    in_quiet_hours,
    local_now,
    next_occurrence,
    parse_days,
    parse_time,
    quiet_ends,
)

KINDS = texts.RITUAL_KINDS
# How late a ritual may still arrive after its time (downtime, quiet hours); after that it is
# recorded as skipped rather than sent stale.
GRACE = {
    "nudge": timedelta(hours=2),
    "checkin": timedelta(hours=3),
    # A date is announced ahead (the day before, or the morning of), so it may come later.
    "date": timedelta(hours=6),
    "talk": timedelta(hours=1),
    "digest": timedelta(hours=3),
    # A question stays open until the next one; waiting out the night costs it nothing.
    "question": timedelta(hours=12),
}
# Shared moments: one instant for both, on the couple's clock. The rest follow each person's.
JOINT = frozenset({"date", "talk", "question", "digest"})
# "morning": a date is announced at 09:00 on its day (the day before, if it is that early).
DATE_MORNING = 9 * 60
# Every couple has one hidden ritual: the weekly journal digest (with the review every 4 weeks),
# Sunday 18:00 on the couple's clock. It stands aside while the couple has a talk ritual,
# whose occurrence brings both instead. It is not listed, counted or changeable.
DIGEST = "digest"
DIGEST_AT = (18 * 60, 1 << 6)
DIGEST_EVERY = timedelta(days=6)  # a daily talk still brings the digest once a week
DEFAULT_DAYS = {
    "checkin": EVERY_DAY,
    "nudge": WEEKDAYS,
    "date": 1 << 4,
    "talk": 1 << 6,
    "question": EVERY_DAY,
}
MAX_RITUALS = 20
# After a long outage a slot's backlog is recorded as skipped one occurrence at a time, up to
# this many; anything older is passed over silently.
CATCH_UP_LIMIT = 64

STARTERS: list[tuple[str, int, int]] = [
    ("checkin", 12 * 60 + 30, EVERY_DAY),
    ("nudge", 15 * 60, WEEKDAYS),
    ("talk", 18 * 60, 1 << 6),
]
STARTER_TIMES = {
    "checkin": (8 * 60, 12 * 60 + 30, 18 * 60, 21 * 60),
    "nudge": (10 * 60, 13 * 60, 15 * 60, 17 * 60),
    "talk": (10 * 60, 18 * 60, 20 * 60),
    "date": (18 * 60, 19 * 60, 20 * 60),
    "question": (19 * 60, 20 * 60, 21 * 60),
}


def rotate(days: int, shift: int) -> int:
    """The day mask `shift` days later (-1: the day before each)."""
    out = 0
    for i in range(7):
        if days & (1 << i):
            out |= 1 << ((i + shift) % 7)
    return out


def for_reader(minutes: int, days: int, zone: str, reader: Person, now: datetime) -> str | None:
    """What the next time on `zone`'s clock is on the reader's own: "12:00", or with the days
    when they differ ("Saturdays 01:00", "04:00 the next day"); None if the clocks agree or
    the reader has no zone."""
    if reader.timezone is None or reader.timezone == zone:
        return None
    upcoming = next_occurrence(minutes, days, zone, now)
    if upcoming is None:
        return None
    theirs, mine = local_now(upcoming, zone), local_now(upcoming, reader.timezone)
    shift = (mine.date() - theirs.date()).days
    if shift == 0 and mine.hour * 60 + mine.minute == minutes:
        return None
    return texts.your_time(texts.clock(mine), shift, rotate(days, shift), days == EVERY_DAY)


def label(
    ritual: Ritual,
    giver: Person | None,
    reader: Person | None = None,
    clock: str | None = None,
    now: datetime | None = None,
) -> str:
    """How a ritual is named to `reader`: a joint one on the couple's `clock` with the reader's
    own time beside it; a nudge on the giver's clock; a check-in on each one's own."""
    time = texts.time_of_day(ritual.minutes)
    name = giver.first_name if giver is not None else None
    if ritual.kind in JOINT and clock is not None and reader is not None and now is not None:
        mine = for_reader(ritual.minutes, ritual.days, clock, reader, now)
        return texts.joint_label(
            ritual.kind, time, ritual.days, texts.zone_city(clock), mine, ritual.paused
        )
    text = texts.ritual_label(ritual.kind, time, ritual.days, name, ritual.paused)
    if ritual.kind == "checkin":
        return text + texts.OWN_CLOCKS
    if ritual.kind == "nudge" and giver is not None and reader is not None and now is not None:
        mine = (
            for_reader(ritual.minutes, ritual.days, giver.timezone, reader, now)
            if giver.timezone is not None and giver.id != reader.id
            else None
        )
        return text + texts.giver_clock(None if giver.id == reader.id else giver.first_name, mine)
    return text


@dataclass(frozen=True)
class View:
    number: int
    ritual_id: int
    label: str
    paused: bool


@dataclass(frozen=True)
class Waiting:
    """Whose missing time zone rituals wait for: the person asking, and/or their partner."""

    me: bool
    partner: str | None  # the partner's name


@dataclass(frozen=True)
class Overview:
    rituals: list[View]
    waiting: Waiting


async def _couple_rituals(session: AsyncSession, couple_id: int) -> list[Ritual]:
    """The rituals people see and manage (not the hidden digest)."""
    return list(
        await session.scalars(
            select(Ritual)
            .where(Ritual.couple_id == couple_id, Ritual.kind != DIGEST)
            .order_by(Ritual.id)
        )
    )


async def ensure_digest(session: AsyncSession, person: Person, now: datetime) -> None:
    """Give the couple its hidden digest ritual, if it has none yet (at pairing, and at start-up
    for couples paired before it existed)."""
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return
    exists = await session.scalar(
        select(Ritual.id).where(Ritual.couple_id == person.couple_id, Ritual.kind == DIGEST)
    )
    if exists is not None:
        return
    minutes, days = DIGEST_AT
    ritual = Ritual(
        couple_id=person.couple_id,
        kind=DIGEST,
        created_by_id=person.id,
        giver_id=None,
        minutes=minutes,
        days=days,
        paused=False,
        created_at=now,
    )
    session.add(ritual)
    await session.flush()
    session.info[DUE_CHANGED] = True
    for recipient in (person, partner):
        session.add(await _new_slot(session, ritual, recipient, now))


async def add_missing_digests(session: AsyncSession, now: datetime, limit: int) -> int:
    """Up to `limit` couples paired before the digest existed get theirs; how many there were."""
    batch = await couples_without_digest(session, limit)
    for person in batch:
        await ensure_digest(session, person, now)
    return len(batch)


async def couples_without_digest(session: AsyncSession, limit: int) -> list[Person]:
    """One partner of up to `limit` couples that have no digest ritual yet."""
    has_digest = select(Ritual.couple_id).where(Ritual.kind == DIGEST)
    rows = await session.scalars(
        select(Person)
        .where(Person.couple_id.is_not(None), Person.couple_id.not_in(has_digest))
        .order_by(Person.couple_id, Person.id)
        .limit(limit * 2)
    )
    seen: set[int | None] = set()
    out = []
    for person in rows:
        if person.couple_id not in seen:
            seen.add(person.couple_id)
            out.append(person)
    return out


async def _views(session: AsyncSession, reader: Person, now: datetime) -> list[View]:
    assert reader.couple_id is not None
    rituals = await _couple_rituals(session, reader.couple_id)
    givers = {r.giver_id for r in rituals if r.giver_id is not None}
    people = {p.id: p for p in await session.scalars(select(Person).where(Person.id.in_(givers)))}
    clock = await couple_clock(session, reader.couple_id)
    return [
        View(n, r.id, label(r, people.get(r.giver_id or 0), reader, clock, now), r.paused)
        for n, r in enumerate(rituals, start=1)
    ]


async def couple_clock(session: AsyncSession, couple_id: int) -> str | None:
    """The zone joint rituals follow: the one the couple has (set by the first joint ritual, or
    /ritual zone); before that — for the hidden digest — the first partner's who set one."""
    couple = await session.get(Couple, couple_id)
    if couple is not None and couple.timezone is not None:
        return couple.timezone
    return await session.scalar(
        select(Person.timezone)
        .where(Person.couple_id == couple_id, Person.timezone.is_not(None))
        .order_by(Person.id)
        .limit(1)
    )


def _waiting(person: Person, partner: Person, recipients: list[Person] | None = None) -> Waiting:
    """Who of `recipients` (both, by default) has no time zone yet."""
    among = {p.id for p in recipients} if recipients is not None else {person.id, partner.id}
    return Waiting(
        person.timezone is None and person.id in among,
        partner.first_name if partner.timezone is None and partner.id in among else None,
    )


async def overview(session: AsyncSession, person: Person, now: datetime) -> Overview | Refusal:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    waiting = _waiting(person, partner)
    kinds = {r.kind for r in await _couple_rituals(session, person.couple_id)}
    if kinds <= JOINT and await couple_clock(session, person.couple_id) is not None:
        waiting = Waiting(False, None)  # joint rituals need only the couple's clock
    return Overview(await _views(session, person, now), waiting)


# --- scheduling ---------------------------------------------------------------------------


def _when(ritual: Ritual, couple: Couple | None) -> tuple[int, int]:
    """The local time and days a ritual's slots come at: a date's announcement comes ahead of
    it — the day before at its time, or at 09:00 on the day (the couple's choice)."""
    if ritual.kind != "date":
        return ritual.minutes, ritual.days
    # A date before 10:00 leaves no morning to plan in: it is announced the day before.
    morning = ritual.minutes >= DATE_MORNING + 60
    if couple is not None and couple.date_ahead == "morning" and morning:
        return DATE_MORNING, ritual.days
    return ritual.minutes, rotate(ritual.days, -1)


async def _slot_zone(session: AsyncSession, ritual: Ritual, person: Person) -> str | None:
    if ritual.kind in JOINT:
        return await couple_clock(session, ritual.couple_id)
    return person.timezone


async def _next_due(
    session: AsyncSession, ritual: Ritual, person: Person, zone: str | None, after: datetime
) -> datetime | None:
    if ritual.paused or zone is None or person.unreachable_since is not None:
        return None
    minutes, days = _when(ritual, await session.get(Couple, ritual.couple_id))
    return next_occurrence(minutes, days, zone, after)


async def _new_slot(
    session: AsyncSession, ritual: Ritual, person: Person, now: datetime
) -> RitualSlot:
    zone = await _slot_zone(session, ritual, person)
    return RitualSlot(
        ritual_id=ritual.id,
        person_id=person.id,
        zone=zone,
        next_due_at=await _next_due(session, ritual, person, zone, now),
    )


async def _recipients(session: AsyncSession, ritual: Ritual, person: Person) -> list[Person]:
    """Whose clock a ritual follows: the giver's for a nudge, both partners' otherwise."""
    if ritual.kind == "nudge":
        giver = await session.get(Person, ritual.giver_id)
        return [giver] if giver is not None else []
    partner = await partner_of(session, person)
    return [person] + ([partner] if partner is not None else [])


async def _reschedule(session: AsyncSession, ritual: Ritual, now: datetime) -> None:
    session.info[DUE_CHANGED] = True
    slots = await session.scalars(select(RitualSlot).where(RitualSlot.ritual_id == ritual.id))
    for slot in slots:
        person = await session.get(Person, slot.person_id)
        if person is not None:
            slot.zone = await _slot_zone(session, ritual, person)
            slot.next_due_at = await _next_due(session, ritual, person, slot.zone, now)


async def _reschedule_joint(session: AsyncSession, couple_id: int, now: datetime) -> None:
    """After the couple's clock (or how dates are announced) changed: every joint slot."""
    joint = await session.scalars(
        select(Ritual).where(Ritual.couple_id == couple_id, Ritual.kind.in_(JOINT))
    )
    for ritual in list(joint):
        await _reschedule(session, ritual, now)


async def reschedule_person(session: AsyncSession, person: Person, now: datetime) -> None:
    """After a change of zone or reachability: every slot of this person, from now on — and,
    while the couple has not chosen a clock, the joint ones that borrow a partner's zone."""
    session.info[DUE_CHANGED] = True
    rows = await session.execute(
        select(RitualSlot, Ritual)
        .join(Ritual, Ritual.id == RitualSlot.ritual_id)
        .where(RitualSlot.person_id == person.id)
    )
    for slot, ritual in rows:
        slot.zone = await _slot_zone(session, ritual, person)
        slot.next_due_at = await _next_due(session, ritual, person, slot.zone, now)
    if person.couple_id is not None and person.timezone is not None:
        couple = await session.get(Couple, person.couple_id)
        if couple is not None and couple.timezone is None:
            await _adopt_clock(session, couple, person, now)
            await _reschedule_joint(session, couple.id, now)


async def align_joint_clocks(session: AsyncSession, now: datetime, limit: int) -> int:
    """Couples from before the couple's clock (migration 0007), up to `limit`: joint rituals
    without a clock take the zone of whoever added the first (both told, as when adding one),
    and joint slots still on a partner's own zone move to the couple's clock. How many there
    were; a no-op once done."""
    first_zone = (
        select(Person.timezone)
        .where(Person.couple_id == Ritual.couple_id, Person.timezone.is_not(None))
        .order_by(Person.id)
        .limit(1)
        .correlate(Ritual)
        .scalar_subquery()
    )
    clock = func.coalesce(Couple.timezone, first_zone)
    off = await session.scalars(
        select(Ritual.couple_id)
        .distinct()
        .join(RitualSlot, RitualSlot.ritual_id == Ritual.id)
        .join(Couple, Couple.id == Ritual.couple_id)
        .where(
            Ritual.kind.in_(JOINT),
            or_(
                RitualSlot.zone != clock,
                and_(RitualSlot.zone.is_(None), clock.is_not(None)),
                and_(Couple.timezone.is_(None), Ritual.kind != DIGEST, first_zone.is_not(None)),
            ),
        )
        .order_by(Ritual.couple_id)
        .limit(limit)
    )
    couple_ids = list(off)
    for couple_id in couple_ids:
        couple = await session.get(Couple, couple_id)
        first = await session.scalar(
            select(Ritual)
            .where(Ritual.couple_id == couple_id, Ritual.kind.in_(JOINT), Ritual.kind != DIGEST)
            .order_by(Ritual.id)
            .limit(1)
        )
        if couple is not None and couple.timezone is None and first is not None:
            creator = await session.get(Person, first.created_by_id)
            partner = await partner_of(session, creator) if creator is not None else None
            chooser = next(
                (p for p in (creator, partner) if p is not None and p.timezone is not None), None
            )
            if chooser is not None and chooser.couple_id == couple_id:
                await _adopt_clock(session, couple, chooser, now)
        await _reschedule_joint(session, couple_id, now)
    return len(couple_ids)


# The earliest instant a ritual slot is due (a scalar subquery, for the dispatcher's look).
NEXT_SLOT = select(func.min(RitualSlot.next_due_at)).scalar_subquery()


# --- changes people make ------------------------------------------------------------------


@dataclass(frozen=True)
class Added:
    label: str
    waiting: Waiting
    clock: str | None = None  # the couple's clock, when this ritual set it


async def _adopt_clock(
    session: AsyncSession, couple: Couple, person: Person, now: datetime
) -> None:
    """A couple with joint rituals but no clock yet (nobody had a zone when they were added)
    takes the zone of the first partner to set one; both are told."""
    joint = await session.scalar(
        select(Ritual.id).where(
            Ritual.couple_id == couple.id, Ritual.kind.in_(JOINT), Ritual.kind != DIGEST
        )
    )
    if joint is None or person.timezone is None:
        return
    couple.timezone = person.timezone
    partner = await partner_of(session, person)
    for reader in [person] + ([partner] if partner is not None else []):
        await outbox.enqueue(
            session,
            key=f"clock-adopted:{couple.id}:{reader.id}",
            recipient=reader,
            kind="ritual_notice",
            text=texts.clock_adopted(texts.zone_city(person.timezone), person.first_name),
            couple_id=couple.id,
            # To the partner it is news of a ritual change from `person`: held by a pause.
            sender_id=None if reader is person else person.id,
            now=now,
        )


async def add(
    session: AsyncSession, person: Person, kind: str, minutes: int, days: int, now: datetime
) -> Added | Refusal:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    existing = await _couple_rituals(session, person.couple_id)
    if len(existing) >= MAX_RITUALS:
        return Refusal.LIMIT
    giver_id = person.id if kind == "nudge" else None
    if any(
        (r.kind, r.minutes, r.days, r.giver_id) == (kind, minutes, days, giver_id) for r in existing
    ):
        return Refusal.DUPLICATE
    ritual = Ritual(
        couple_id=person.couple_id,
        kind=kind,
        created_by_id=person.id,
        giver_id=giver_id,
        minutes=minutes,
        days=days,
        paused=False,
        created_at=now,
    )
    session.add(ritual)
    await session.flush()
    couple = await session.get(Couple, person.couple_id)
    chosen = None
    if kind in JOINT and couple is not None and couple.timezone is None:
        # The first joint ritual sets the couple's clock: the adder's zone (or the partner's).
        chosen = couple.timezone = person.timezone or partner.timezone
        if chosen is not None:
            await _reschedule_joint(session, couple.id, now)  # the digest follows it too
    recipients = await _recipients(session, ritual, person)
    session.info[DUE_CHANGED] = True
    for recipient in recipients:
        session.add(await _new_slot(session, ritual, recipient, now))
    giver = person if kind == "nudge" else None
    clock = await couple_clock(session, person.couple_id)
    text = label(ritual, giver, partner, clock, now)
    notice = texts.partner_added_ritual(
        person.first_name, text, partner.timezone is None and kind not in JOINT
    )
    if chosen is not None:
        notice += "\n" + texts.clock_chosen(texts.zone_city(chosen))
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"ritual-added:{ritual.id}",
        kind="ritual_notice",
        text=notice,
        buttons=[
            [
                (texts.KEEP_RITUAL_BUTTON, callbacks.pack(callbacks.RITUAL_NOTICE, "k", ritual.id)),
                (
                    texts.DECLINE_RITUAL_BUTTON,
                    callbacks.pack(callbacks.RITUAL_NOTICE, "x", ritual.id),
                ),
            ]
        ],
        now=now,
    )
    waiting = (
        _waiting(person, partner, recipients)
        if kind not in JOINT or clock is None
        else Waiting(False, None)
    )
    return Added(
        label(ritual, giver, person, clock, now),
        waiting,
        texts.zone_city(chosen) if chosen is not None else None,
    )


@dataclass(frozen=True)
class Changed:
    label: str


@dataclass(frozen=True)
class NoSuchNumber:
    count: int


async def _by_number(session: AsyncSession, person: Person, number: int) -> Ritual | NoSuchNumber:
    assert person.couple_id is not None
    rituals = await _couple_rituals(session, person.couple_id)
    if not 1 <= number <= len(rituals):
        return NoSuchNumber(len(rituals))
    return rituals[number - 1]


async def _own_ritual(session: AsyncSession, person: Person, ritual_id: int) -> Ritual | None:
    if person.couple_id is None:
        return None
    ritual = await session.get(Ritual, ritual_id, populate_existing=True)
    # The hidden digest is not one of the rituals people manage: a button naming it is stale.
    if ritual is None or ritual.couple_id != person.couple_id or ritual.kind == DIGEST:
        return None
    return ritual


Change = Literal["pause", "resume", "delete"]


async def change(
    session: AsyncSession,
    person: Person,
    now: datetime,
    what: Change,
    *,
    number: int | None = None,
    ritual_id: int | None = None,
) -> Changed | NoSuchNumber | Refusal:
    """Pause, resume or delete one of the couple's rituals, named by its number in /ritual list
    or by id (from a button). The partner is told; nothing else changes."""
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    if number is not None:
        found = await _by_number(session, person, number)
        if isinstance(found, NoSuchNumber):
            return found
        ritual: Ritual | None = found
    else:
        ritual = await _own_ritual(session, person, ritual_id or 0)
    if ritual is None:
        return Refusal.STALE
    giver = await session.get(Person, ritual.giver_id) if ritual.giver_id else None
    clock = await couple_clock(session, person.couple_id)
    if what == "delete":
        mine, theirs = (
            label(ritual, giver, person, clock, now),
            label(ritual, giver, partner, clock, now),
        )
        await session.delete(ritual)
    else:
        ritual.paused = what == "pause"
        if ritual.paused:
            await _drop_pending(session, ritual.id)
        await _reschedule(session, ritual, now)
        mine, theirs = (
            label(ritual, giver, person, clock, now),
            label(ritual, giver, partner, clock, now),
        )
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=outbox.unique_key(f"ritual-{what}:{ritual.id}"),
        kind="ritual_notice",
        text=texts.partner_changed_ritual(person.first_name, what, theirs),
        now=now,
    )
    return Changed(mine)


async def _drop_pending(session: AsyncSession, ritual_id: int) -> None:
    """Occurrences already queued but not yet sent do not go out for a paused ritual."""
    await session.execute(
        delete(Delivery).where(Delivery.ritual_id == ritual_id, Delivery.status == "pending")
    )


async def answer_notice(
    session: AsyncSession, person: Person, ritual_id: int, keep: bool, now: datetime
) -> Changed | Refusal:
    """The partner keeps or declines a ritual the other added. Declining removes it, and the
    one who added it hears so, neutrally."""
    ritual = await _own_ritual(session, person, ritual_id)
    if ritual is None or ritual.created_by_id == person.id:
        return Refusal.STALE
    giver = await session.get(Person, ritual.giver_id) if ritual.giver_id else None
    assert person.couple_id is not None
    clock = await couple_clock(session, person.couple_id)
    text = label(ritual, giver, person, clock, now)
    if keep:
        return Changed(text)
    creator = await session.get(Person, ritual.created_by_id)
    await session.delete(ritual)
    if creator is not None:
        await outbox.tell_partner(
            session,
            person,
            creator,
            key=f"ritual-declined:{ritual_id}",
            kind="ritual_notice",
            text=texts.partner_declined_ritual(
                person.first_name, label(ritual, giver, creator, clock, now)
            ),
            now=now,
        )
    return Changed(text)


# --- the engine ---------------------------------------------------------------------------


async def materialize(session: AsyncSession, now: datetime, limit: int = 200) -> int:
    """Turn every slot due by `now` into its occurrence in the outbox and advance the slot.
    Returns how many slots were handled (0: nothing was due)."""
    on = Ritual.id == RitualSlot.ritual_id
    rows = await slots.due(session, RitualSlot, Ritual, on, now, limit)
    for slot, ritual in rows:
        await _materialize_slot(session, slot, ritual, now)
    return len(rows)


async def _materialize_slot(
    session: AsyncSession, slot: RitualSlot, ritual: Ritual, now: datetime
) -> None:
    both = await slots.people(session, slot, ritual.couple_id)
    if both is None or slot.zone is None or slot.next_due_at is None:
        slot.next_due_at = None  # nobody to do it for, or no clock yet; resumes when rescheduled
        return
    person, partner = both
    grace = GRACE[ritual.kind]
    minutes, days = _when(ritual, await session.get(Couple, ritual.couple_id))
    occurrence = slot.next_due_at
    if occurrence < now - timedelta(days=8):  # a long outage: start from the last week
        occurrence = next_occurrence(minutes, days, slot.zone, now - timedelta(days=8)) or now
    upcoming = next_occurrence(minutes, days, slot.zone, occurrence)
    # Everything older than the latest due occurrence is stale: recorded as skipped, never sent.
    for _ in range(CATCH_UP_LIMIT):
        if upcoming is None or upcoming > now:
            break
        await _record(session, ritual, person, occurrence, now, skipped=True)
        occurrence, upcoming = upcoming, next_occurrence(minutes, days, slot.zone, upcoming)
    if now > occurrence + grace:
        await _record(session, ritual, person, occurrence, now, skipped=True)
    else:
        await _occur(session, ritual, person, partner, occurrence, now, slot.zone)
    slot.next_due_at = upcoming


def _key(ritual: Ritual, person: Person, occurrence: datetime) -> str:
    return f"ritual:{ritual.id}:{person.id}:{occurrence:%Y%m%dT%H%M%SZ}"


async def _record(
    session: AsyncSession,
    ritual: Ritual,
    person: Person,
    occurrence: datetime,
    now: datetime,
    *,
    skipped: bool,
    recipient: Person | None = None,
    text: str | None = None,
    buttons_for: Callable[[int], Buttons] | None = None,
    kind: str | None = None,
    part: str = "",
    render: dict[str, Any] | None = None,
    key: str | None = None,
    media: dict[str, Any] | None = None,
) -> int | None:
    """The occurrence of `ritual` for `person` at `occurrence`: queued for `recipient` (the
    person, or for a nudge note their partner) — or recorded as skipped. A ritual waits out the
    recipient's quiet hours, within its grace; otherwise it is skipped."""
    target = recipient or person
    grace = GRACE[ritual.kind]
    due = occurrence
    if (
        not skipped
        and target.timezone
        and in_quiet_hours(
            max(occurrence, now), target.quiet_start, target.quiet_end, target.timezone
        )
    ):
        assert target.quiet_end is not None
        due = quiet_ends(max(occurrence, now), target.quiet_end, target.timezone)
        skipped = due > occurrence + grace
    return await outbox.enqueue(
        session,
        key=key or _key(ritual, person, occurrence) + part,
        render=None if skipped else render,
        media=None if skipped else media,
        recipient=target,
        kind=kind or ritual.kind,
        text=None if skipped else text,
        buttons_for=None if skipped else buttons_for,
        couple_id=ritual.couple_id,
        # A note written ahead is the person's words to their partner: a pause holds it.
        sender_id=person.id if target.id != person.id else None,
        due_at=due,
        grace=grace,
        ritual_id=ritual.id,
        occurrence_at=occurrence,
        status="skipped" if skipped else "pending",
        now=now,
    )


async def _occur(
    session: AsyncSession,
    ritual: Ritual,
    person: Person,
    partner: Person,
    occurrence: datetime,
    now: datetime,
    zone: str,
) -> None:
    async def deliver(
        recipient: Person,
        text: str,
        buttons_for: Callable[[int], Buttons] | None = None,
        kind: str | None = None,
        part: str = "",
        render: dict[str, Any] | None = None,
        key: str | None = None,
        media: dict[str, Any] | None = None,
    ) -> int | None:
        return await _record(
            session,
            ritual,
            person,
            occurrence,
            now,
            skipped=False,
            recipient=recipient,
            text=text,
            buttons_for=buttons_for,
            kind=kind,
            part=part,
            render=render,
            key=key,
            media=media,
        )

    if ritual.kind == "nudge":
        await nudges.occur(session, person, partner, deliver)
    elif ritual.kind == "checkin":
        await deliver(person, texts.CHECKIN_PROMPT, checkins.mood_buttons)
    elif ritual.kind == "date":
        # The occurrence is the announcement; the date itself is the next one after it.
        when = next_occurrence(ritual.minutes, ritual.days, zone, occurrence) or occurrence
        if away.is_away(person, when) or away.is_away(partner, when):
            # A date needs both of you: it waits out time apart, recorded as skipped.
            await _record(session, ritual, person, occurrence, now, skipped=True)
            return
        await deliver(
            person,
            texts.date_reminder(_moment(when, zone, person)),
            lambda row: [[(texts.PLANNED_BUTTON, callbacks.pack(callbacks.DATE, "p", row))]],
        )
    elif ritual.kind == "question":
        await questions.occur(session, ritual, person, occurrence, deliver)
    elif ritual.kind == "talk":
        topics = await triggers.for_talk(session, ritual.couple_id, now)
        row = await deliver(
            person, texts.TALK_PROMPT + (texts.talk_topics(topics.lines) if topics.lines else "")
        )
        if row is not None and await _queued(session, row):
            await triggers.brought_up(session, topics, now)
        await _weekly(session, ritual, person, occurrence, now, deliver)
    elif await _has_talk(session, ritual.couple_id):
        await _record(session, ritual, person, occurrence, now, skipped=True)  # the talk brings it
    else:
        await _weekly(session, ritual, person, occurrence, now, deliver)


def _moment(instant: datetime, zone: str, reader: Person) -> str:
    """ "Friday 19:00 Berlin (13:00 your time)": one instant on the couple's clock and the
    reader's."""
    theirs = local_now(instant, zone)
    mine = local_now(instant, reader.timezone) if reader.timezone else None
    return texts.moment(
        texts.WEEKDAY_NAMES[theirs.weekday()],
        texts.clock(theirs),
        texts.zone_city(zone),
        None if mine is None or reader.timezone == zone else texts.clock(mine),
        None
        if mine is None or mine.date() == theirs.date()
        else texts.WEEKDAY_NAMES[mine.weekday()],
    )


async def _queued(session: AsyncSession, delivery_id: int) -> bool:
    status = await session.scalar(select(Delivery.status).where(Delivery.id == delivery_id))
    return status == "pending"


async def _has_talk(session: AsyncSession, couple_id: int) -> bool:
    found = await session.scalar(
        select(Ritual.id).where(
            Ritual.couple_id == couple_id, Ritual.kind == "talk", Ritual.paused.is_(False)
        )
    )
    return found is not None


async def _weekly(
    session: AsyncSession,
    ritual: Ritual,
    person: Person,
    occurrence: datetime,
    now: datetime,
    deliver: Callable[..., Awaitable[int | None]],
) -> None:
    """The journal digest with the weekly picture (at most once in DIGEST_EVERY), and every
    REVIEW_EVERY the question whether the rituals still work."""
    recent = await session.scalar(
        select(Delivery.id).where(
            Delivery.recipient_id == person.id,
            Delivery.kind == "digest",
            Delivery.status != "skipped",
            Delivery.occurrence_at > occurrence - DIGEST_EVERY,
            Delivery.occurrence_at < occurrence,
        )
    )
    if recent is None:
        await deliver(person, await journal.digest(session, person, now), kind="digest", part=":d")
        # The sender draws the picture and its sentence as it goes (the talk bringing it counts
        # then); these words stand in only if drawing fails.
        await deliver(
            person,
            texts.INSIGHTS_CAPTION,
            kind="digest_chart",
            part=":c",
            render={"kind": "insights", "person": person.id},
        )
    couple = await session.get(Couple, ritual.couple_id)
    cycle = review.cycle(couple.created_at, occurrence) if couple is not None else 0
    if cycle > 0 and couple is not None:
        # Once in each 4 weeks, at the first talk of them that can reach the person: one that
        # had to be skipped (quiet hours past its grace) leaves the question for the next.
        since = couple.created_at + cycle * review.EVERY
        asked = await session.scalar(
            select(Delivery.id).where(
                Delivery.recipient_id == person.id,
                Delivery.kind == "review",
                Delivery.status != "skipped",
                Delivery.occurrence_at >= since,
            )
        )
        if asked is None:
            labels = [v.label for v in await _views(session, person, now)]
            await deliver(person, texts.review(labels), review.buttons, kind="review", part=":r")


# --- the couple's clock and how dates are announced ------------------------------------------


@dataclass(frozen=True)
class ClockView:
    zone: str | None  # the couple's clock (None: nobody has a zone yet)
    chosen: bool  # set by the couple (or their first joint ritual), not borrowed
    labels: list[str]  # the joint rituals, as the reader sees them


async def _joint_labels(session: AsyncSession, reader: Person, now: datetime) -> list[str]:
    assert reader.couple_id is not None
    clock = await couple_clock(session, reader.couple_id)
    return [
        label(r, None, reader, clock, now)
        for r in await _couple_rituals(session, reader.couple_id)
        if r.kind in JOINT
    ]


async def clock_of(session: AsyncSession, person: Person, now: datetime) -> ClockView | Refusal:
    if person.couple_id is None or await partner_of(session, person) is None:
        return Refusal.NOT_PAIRED
    couple = await session.get(Couple, person.couple_id)
    return ClockView(
        await couple_clock(session, person.couple_id),
        couple is not None and couple.timezone is not None,
        await _joint_labels(session, person, now),
    )


async def set_clock(
    session: AsyncSession, person: Person, zone: str, now: datetime
) -> ClockView | Refusal:
    """Either partner moves the couple's clock; joint rituals keep their time of day on it (18:00
    stays 18:00, now in `zone`), and the partner is told what that means on their own clock."""
    partner = await partner_of(session, person)
    couple = await session.get(Couple, person.couple_id) if person.couple_id else None
    if partner is None or couple is None:
        return Refusal.NOT_PAIRED
    if couple.timezone == zone:
        return Refusal.DUPLICATE
    couple.timezone = zone
    await _reschedule_joint(session, couple.id, now)
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=outbox.unique_key(f"clock:{couple.id}"),
        kind="ritual_notice",
        text=texts.partner_moved_clock(
            person.first_name, texts.zone_city(zone), await _joint_labels(session, partner, now)
        ),
        now=now,
    )
    return ClockView(zone, True, await _joint_labels(session, person, now))


async def set_date_ahead(
    session: AsyncSession, person: Person, ahead: str, now: datetime
) -> str | Refusal:
    """ "eve" or "morning": when the couple's dates are announced; the partner is told."""
    partner = await partner_of(session, person)
    couple = await session.get(Couple, person.couple_id) if person.couple_id else None
    if partner is None or couple is None:
        return Refusal.NOT_PAIRED
    if couple.date_ahead == ahead:
        return Refusal.DUPLICATE
    couple.date_ahead = ahead
    await _reschedule_joint(session, couple.id, now)
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=outbox.unique_key(f"date-ahead:{couple.id}"),
        kind="ritual_notice",
        text=texts.partner_set_date_ahead(person.first_name, ahead),
        now=now,
    )
    return ahead


# --- dates --------------------------------------------------------------------------------


async def date_planned(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime
) -> str | Refusal:
    """ "Planned ✓" on a date reminder ends it for both: the partner hears it once, and their
    own reminder of that date, if it is still waiting (quiet hours), does not go out. A second
    "Planned ✓" — by either — is ALREADY_ANSWERED. Returns the partner's name."""
    partner = await outbox.tapped(session, person, delivery_id, "date")
    row = await session.get(Delivery, delivery_id)
    if partner is None or row is None or row.occurrence_at is None:
        return Refusal.STALE
    sent = await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"date-planned:{row.ritual_id}:{row.occurrence_at:%Y%m%dT%H%M%SZ}",
        kind="date_planned",
        text=texts.date_planned(person.first_name),
        now=now,
    )
    if sent is None:
        return Refusal.ALREADY_ANSWERED
    await session.execute(
        update(Delivery)
        .where(
            Delivery.ritual_id == row.ritual_id,
            Delivery.occurrence_at == row.occurrence_at,
            Delivery.recipient_id == partner.id,
            Delivery.kind == "date",
            Delivery.status == "pending",
        )
        .values(status="skipped", payload=None)
    )
    return partner.first_name


# --- what people type ----------------------------------------------------------------------


@dataclass(frozen=True)
class NewRitual:
    kind: str
    minutes: int
    days: int


def parse_add(args: list[str]) -> NewRitual | str:
    """`<kind> <HH:MM> [days]` → what to add, or the sentence that corrects the input."""
    if not args:
        return texts.RITUAL_USAGE
    kind = texts.TYPED_RITUAL_KINDS.get(args[0].lower())
    if kind is None:
        return texts.RITUAL_BAD_KIND
    minutes = parse_time(args[1]) if len(args) > 1 else None
    if minutes is None:
        return texts.RITUAL_BAD_TIME
    days = parse_days(" ".join(args[2:])) if len(args) > 2 else DEFAULT_DAYS[kind]
    if days is None:
        return texts.RITUAL_BAD_DAYS
    return NewRitual(kind, minutes, days)


def starter_buttons(couple_id: int) -> Buttons:
    rows: Buttons = []
    for index, (kind, minutes, days) in enumerate(STARTERS):
        label = texts.starter_button(kind, texts.time_of_day(minutes), days)
        rows.append(
            [
                (label, callbacks.pack(callbacks.STARTER, "a", couple_id, index)),
                (
                    texts.STARTER_OTHER_TIME,
                    callbacks.pack(callbacks.STARTER, "o", couple_id, index),
                ),
            ]
        )
    return rows


def starter_time_buttons(couple_id: int, index: int) -> Buttons:
    kind, _, days = STARTERS[index]
    rows: Buttons = [
        [
            (
                texts.starter_button(kind, texts.time_of_day(minutes), days),
                callbacks.pack(callbacks.STARTER, "t", couple_id, index, minutes),
            )
        ]
        for minutes in STARTER_TIMES[kind]
    ]
    rows.append([(texts.STARTER_BACK, callbacks.pack(callbacks.STARTER, "b", couple_id))])
    return rows


def kind_buttons() -> Buttons:
    return [
        [(texts.RITUAL_NAMES[kind], callbacks.pack(callbacks.RITUAL_ADD, "t", index))]
        for index, kind in enumerate(KINDS)
    ] + [[(texts.CANCEL_BUTTON, callbacks.pack(callbacks.RITUAL_ADD, "x"))]]


def time_buttons(kind_index: int) -> Buttons:
    kind = KINDS[kind_index]
    return [
        [
            (
                texts.time_of_day(minutes),
                callbacks.pack(callbacks.RITUAL_ADD, "d", kind_index, minutes),
            )
            for minutes in STARTER_TIMES[kind]
        ],
        [(texts.CANCEL_BUTTON, callbacks.pack(callbacks.RITUAL_ADD, "x"))],
    ]


DAY_CHOICES = {
    "checkin": (EVERY_DAY, WEEKDAYS, WEEKENDS),
    "nudge": (EVERY_DAY, WEEKDAYS, WEEKENDS),
    "date": (1 << 4, 1 << 5, 1 << 6),
    "talk": (1 << 6, 1 << 5, 1 << 2),
    "question": (EVERY_DAY, WEEKENDS, 1 << 6),
}


def day_buttons(kind_index: int, minutes: int) -> Buttons:
    kind = KINDS[kind_index]
    return [
        [
            (
                texts.days_words(days),
                callbacks.pack(callbacks.RITUAL_ADD, "a", kind_index, minutes, days),
            )
            for days in DAY_CHOICES[kind]
        ],
        [(texts.CANCEL_BUTTON, callbacks.pack(callbacks.RITUAL_ADD, "x"))],
    ]


# --- a starter ritual at a time of one's own ------------------------------------------------

AWAIT_STARTER_TIME = "starter_time"


def await_starter_time(person: Person, index: int, now: datetime) -> None:
    """🕐 Other time: besides the buttons, a time typed next is taken as that time."""
    await_reply(person, AWAIT_STARTER_TIME, index, now)


def drop_starter_time(person: Person) -> None:
    """A time tapped (or ‹ Back): a time typed later is just text again."""
    if person.awaiting == AWAIT_STARTER_TIME:
        clear_awaiting(person)


async def add_starter_at(
    session: AsyncSession, person: Person, index: int, raw: str, now: datetime
) -> Added | Refusal | None:
    """The starter ritual `index` at the typed time; None if it is not a time (asked again)."""
    if not 0 <= index < len(STARTERS):
        return Refusal.STALE
    minutes = parse_time(raw)
    if minutes is None:
        await_starter_time(person, index, now)
        return None
    kind, _, days = STARTERS[index]
    return await add(session, person, kind, minutes, days, now)
