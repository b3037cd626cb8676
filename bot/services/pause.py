"""The safe word and the pause: "I need a moment to settle".

A pause is a row and a mirror on the person (`paused_until`), which the delivery path checks on
every send: while it lasts, the person's rituals and whatever their partner sends them wait for
its end (docs/delivery.md). Its return — "coming back together" for both — is two outbox rows
due at the end, so it survives restarts like every other message. When it ends (/resume, or its
time: jobs/dispatcher.py runs `end_due`), what the partner sent meanwhile arrives as one
message, and notices about the pause that never reached the partner are dropped."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.db.base import table_of
from bot.db.models import Delivery, Pause, Person
from bot.services import agreements, outbox
from bot.services.common import Refusal, clean_text
from bot.services.people import partner_of
from bot.services.schedule import at_local, local_date, wall_time

MIN_PAUSE = timedelta(minutes=20)
MAX_PAUSE = timedelta(hours=24)
MORNING = 8 * 60  # "until tomorrow morning": 08:00 on the person's clock
LENGTHS: tuple[timedelta | None, ...] = (
    timedelta(minutes=20),
    timedelta(hours=1),
    timedelta(hours=2),
    None,  # until tomorrow morning
)
EXTENSIONS = (timedelta(minutes=20), timedelta(hours=1))
# The extend buttons on the return prompt work for this long after the return.
EXTEND_WITHIN = timedelta(hours=2)
RETURN_KEY = "pause-return"
NOTICE_KEYS = ("pause", "pause-extended")  # the partner's "needs a moment", "a little longer"
BUNDLED = "bundled"  # a held row whose words went out in a pause's bundle


def length_buttons() -> list[list[tuple[str, str]]]:
    return [
        [(label, callbacks.pack(callbacks.PAUSE, "s", index))]
        for index, label in enumerate(texts.PAUSE_LENGTHS)
    ]


# --- the safe word ------------------------------------------------------------------------

_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")


def normalise(word: str) -> str:
    """How a safe word is compared: case, surrounding punctuation and spacing do not matter."""
    return " ".join(_PUNCTUATION.sub("", word.strip()).casefold().split())


def check_word(raw: str) -> str | None:
    word = " ".join(clean_text(raw).split())
    if (
        not word
        or len(word) > texts.SAFEWORD_MAX_CHARS
        or len(word.split()) > 3
        or word.startswith("/")
        or not normalise(word)
        or word in (texts.REASSURE_BUTTON, texts.MOMENT_BUTTON)
    ):
        return None
    return word


async def is_safe_word(session: AsyncSession, person: Person, text: str) -> bool:
    agreed = await agreements.agreed_value(session, person.couple_id, agreements.SAFEWORD)
    return agreed is not None and normalise(text) == normalise(agreed)


# --- pausing ------------------------------------------------------------------------------


def active_until(person: Person, now: datetime) -> datetime | None:
    until = person.paused_until
    return until if until is not None and until > now else None


def _end(person: Person, choice: int, now: datetime) -> datetime:
    length = LENGTHS[choice]
    if length is not None:
        return now + length
    day = local_date(now, person.timezone)
    for offset in (0, 1, 2):
        morning = at_local(day + timedelta(days=offset), MORNING, person.timezone)
        if morning - now >= MIN_PAUSE:
            return min(morning, now + MAX_PAUSE)
    return now + MAX_PAUSE  # pragma: no cover


@dataclass(frozen=True)
class Started:
    partner_name: str
    until: str  # on the pausing person's clock
    # The partner hears of it now — unless they are taking a moment themselves: then only if
    # this one outlasts theirs.
    partner_told: bool = True


@dataclass(frozen=True)
class AlreadyPaused:
    until: str


async def start(
    session: AsyncSession, person: Person, choice: int, now: datetime
) -> Started | AlreadyPaused | Refusal:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    if not 0 <= choice < len(LENGTHS):
        return Refusal.STALE
    current = active_until(person, now)
    if current is not None:
        return AlreadyPaused(wall_time(current, person.timezone))
    ends = _end(person, choice, now)
    pause = Pause(
        couple_id=person.couple_id,
        person_id=person.id,
        started_at=now,
        ends_at=ends,
        extended=False,
    )
    session.add(pause)
    await session.flush()
    person.paused_until = ends
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"pause:{pause.id}",
        kind="pause_notice",
        text=texts.pause_notice(person.first_name, wall_time(ends, partner.timezone)),
        now=now,
    )
    await _plan_return(session, pause, person, partner, now)
    told = active_until(partner, now) is None
    return Started(partner.first_name, wall_time(ends, person.timezone), told)


async def _plan_return(
    session: AsyncSession, pause: Pause, person: Person, partner: Person, now: datetime
) -> None:
    """ "Coming back together", for both, due when the pause ends. The pausing person's prompt
    can extend the pause, once."""
    extend = (
        []
        if pause.extended or pause.ended_early_at is not None
        else [
            [
                (label, callbacks.pack(callbacks.PAUSE, "e", pause.id, index))
                for index, label in enumerate(texts.EXTEND_BUTTONS)
            ]
        ]
    )
    stamp = f"{pause.ends_at:%Y%m%dT%H%M%S}"
    await outbox.enqueue(
        session,
        key=f"{RETURN_KEY}:{pause.id}:{stamp}:self",
        recipient=person,
        kind="pause_return",
        text=texts.PAUSE_RETURN_SELF,
        buttons=extend,
        couple_id=pause.couple_id,
        due_at=pause.ends_at,
        now=now,
    )
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"{RETURN_KEY}:{pause.id}:{stamp}:partner",
        kind="pause_return",
        text=texts.pause_return_partner(person.first_name),
        due_at=pause.ends_at,
        now=now,
    )


async def _current(session: AsyncSession, person: Person, now: datetime) -> Pause | None:
    return await session.scalar(
        select(Pause)
        .where(Pause.person_id == person.id, Pause.ends_at > now)
        .order_by(Pause.id.desc())
        .limit(1)
    )


async def _drop_returns(session: AsyncSession, pause: Pause) -> None:
    await session.execute(
        delete(Delivery).where(
            Delivery.dedupe_key.like(f"{RETURN_KEY}:{pause.id}:%"), Delivery.status == "pending"
        )
    )


async def resume(session: AsyncSession, person: Person, now: datetime) -> bool | Refusal:
    """/resume: the pause ends now; what waited for it comes now, with the return prompts."""
    partner = await partner_of(session, person)
    if partner is None:
        return Refusal.NOT_PAIRED
    pause = await _current(session, person, now)
    if pause is None or active_until(person, now) is None:
        return False
    old_end = pause.ends_at
    await _drop_returns(session, pause)
    pause.ends_at = now
    pause.ended_early_at = now
    await _plan_return(session, pause, person, partner, now)
    await _finish(session, person, partner, pause, old_end, now)
    # The rituals the pause held were moved to its end (Sender._verdict); bring exactly those
    # forward — not rows waiting for reasons of their own (words held for breathing, a
    # reconnect).
    await session.execute(
        update(Delivery)
        .where(
            and_(
                Delivery.recipient_id == person.id,
                Delivery.status == "pending",
                Delivery.due_at == old_end,
            )
        )
        .values(due_at=now)
    )
    return True


# Whose pause is over and not yet settled: the dispatcher wakes for the earliest.
NEXT_END = select(func.min(Person.paused_until)).scalar_subquery()


async def end_due(session: AsyncSession, now: datetime, limit: int) -> int:
    """Pauses whose time is up (jobs/dispatcher.py runs this at that instant): each one's held
    messages become one bundle, in the transaction that ends it. Returns how many ended."""
    people = (
        await session.scalars(
            select(Person)
            .where(Person.paused_until <= now)
            .order_by(Person.paused_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    for person in people:
        ended = person.paused_until
        assert ended is not None
        partner = await partner_of(session, person)
        pause = await session.scalar(
            select(Pause).where(Pause.person_id == person.id).order_by(Pause.id.desc()).limit(1)
        )
        if partner is not None and pause is not None:
            await _finish(session, person, partner, pause, ended, now)
        person.paused_until = None
    return len(people)


async def _finish(
    session: AsyncSession,
    person: Person,
    partner: Person,
    pause: Pause,
    ended: datetime,
    now: datetime,
) -> None:
    """A pause is over: it is no longer news for the partner if they never heard of it, and
    what it held from the partner goes as one message."""
    person.paused_until = None
    await _forget_untold(session, pause)
    await _bundle(session, person, partner, ended, now)


async def _forget_untold(session: AsyncSession, pause: Pause) -> None:
    """The partner's notices of this pause that have not gone (they were taking a moment too,
    or Steady was down) are never sent now — and then neither is "coming back"."""
    notices = [f"{prefix}:{pause.id}" for prefix in NOTICE_KEYS]
    told = await session.scalar(select(Delivery.status).where(Delivery.dedupe_key == notices[0]))
    untold = [Delivery.dedupe_key.in_(notices)]
    if told not in ("sending", "sent", "uncertain", BUNDLED):
        untold.append(Delivery.dedupe_key.like(f"{RETURN_KEY}:{pause.id}:%:partner"))
    await session.execute(
        update(Delivery)
        .where(or_(*untold), Delivery.status == "pending")
        .values(status="skipped", payload=None)
    )


_DELIVERIES = table_of(Delivery)


async def _bundle(
    session: AsyncSession, person: Person, partner: Person, ended: datetime, now: datetime
) -> None:
    """Everything the partner sent that waited for this pause becomes one message, "While you
    took a moment: …", newest last; the held rows are marked `bundled` and lose their words in
    the same transaction, so none goes out on its own. Taking the rows is one UPDATE of pending
    rows: two processes ending the same pause cannot both take them, and the key makes the
    bundle once."""
    table = _DELIVERIES
    taken = (
        await session.execute(
            update(table)
            .where(
                table.c.recipient_id == person.id,
                table.c.sender_id == partner.id,
                table.c.couple_id == person.couple_id,
                table.c.status == "pending",
                # Held rows were moved to the pause's end; others came while it lasted.
                or_(table.c.due_at <= now, table.c.due_at == ended),
            )
            .values(status=BUNDLED, claimed_by=None, claimed_until=None)
            .returning(table.c.id, table.c.payload, table.c.kind, table.c.created_at)
        )
    ).all()
    taken = sorted(taken, key=lambda r: (r.created_at, r.id))
    # A recording (bot/services/voice.py) cannot be told in a bundle's words: it goes on its
    # own, as it was, now the pause is over.
    recordings = [row.id for row in taken if (row.payload or {}).get("media")]
    if recordings:
        await session.execute(
            update(table).where(table.c.id.in_(recordings)).values(status="pending")
        )
        taken = [row for row in taken if row.id not in recordings]
    if not taken:
        return
    await session.execute(
        update(Delivery).where(Delivery.id.in_([row.id for row in taken])).values(payload=None)
    )
    held: list[tuple[str, Any]] = []
    for row in taken:
        payload = row.payload or {}
        text = payload.get("text")
        if not text:
            continue
        if row.kind == "pause_bundle":  # a bundle held by a newer pause: its items, flat
            text = text.removeprefix(texts.PAUSE_BUNDLE_HEAD)
            text = text.removeprefix(texts.PAUSE_BUNDLE_MORE).strip()
        text += texts.PAUSE_BUNDLE_PHOTO if payload.get("photo") else ""
        held.append((text, payload.get("buttons") or []))
    if not held:
        return
    items, buttons = _told(held)
    stamp = f"{ended:%Y%m%dT%H%M%S}"
    parts = texts.pause_bundle(items)
    for index, text in enumerate(parts):
        await outbox.tell_partner(
            session,
            partner,
            person,
            key=f"pause-bundle:{person.id}:{stamp}:{index}",
            kind="pause_bundle",
            text=text,
            buttons=buttons if index == len(parts) - 1 else None,
            now=now,
        )


# Rows where the newest message's buttons may answer for older ones with the same labels: a 💛
# or ✍️ Reply, a one-tap answer to a request, a hug for a hard check-in, the live question.
STANDS_FOR_OLDER = {callbacks.WARMTH, callbacks.REPLY, callbacks.COMFORT, callbacks.QUESTION}


def _stands_for_older(row: list[tuple[str, str]]) -> bool:
    return all(data.split(":", 1)[0] in STANDS_FOR_OLDER for _, data in row)


def _told(held: list[tuple[str, Any]]) -> tuple[list[str], callbacks.Buttons | None]:
    """The bundle's items and its buttons: every held message's rows, in the messages' order,
    so each can still be answered (the rows still name their own messages). Rows where the
    newest may answer for older ones alike (STANDS_FOR_OLDER) come once, the newest's. Should
    labels still repeat — two questions with ✅ Agree — the items with such buttons are
    numbered, and their buttons say the number ("✅ Agree [2]")."""
    kept: list[list[list[tuple[str, str]]]] = [[] for _ in held]
    seen: set[str] = set()
    for index in reversed(range(len(held))):
        for row in held[index][1]:
            pairs = [(str(label), str(data)) for label, data in row]
            labels = {label for label, _ in pairs}
            if _stands_for_older(pairs):
                if labels & seen:
                    continue
                seen |= labels
            kept[index].append(pairs)
    counts = Counter(label for rows in kept for row in rows for label, _ in row)
    items: list[str] = []
    buttons: callbacks.Buttons = []
    for number, ((text, _), rows) in enumerate(zip(held, kept, strict=True), start=1):
        if not any(counts[label] > 1 for row in rows for label, _ in row):
            items.append(text)
            buttons.extend(rows)
            continue
        items.append(texts.bundle_item(number, text))
        buttons.extend(
            [(texts.bundle_label(label, number), data) for label, data in row] for row in rows
        )
    return items, buttons or None


@dataclass(frozen=True)
class Extended:
    until: str
    again: bool = False  # extended already (a double tap, the prompt's other button)


async def extend(
    session: AsyncSession, person: Person, pause_id: int, choice: int, now: datetime
) -> Extended | Refusal | str:
    """One extension from the return prompt. Returns a sentence when it can't be done."""
    pause = await session.get(Pause, pause_id, with_for_update=True)
    partner = await partner_of(session, person)
    if (
        pause is None
        or partner is None
        or pause.person_id != person.id
        or pause.couple_id != person.couple_id
        or not 0 <= choice < len(EXTENSIONS)
    ):
        return Refusal.STALE
    if pause.extended:
        return Extended(wall_time(pause.ends_at, person.timezone), again=True)
    latest = await session.scalar(select(func.max(Pause.id)).where(Pause.person_id == person.id))
    if (
        latest != pause.id  # a newer pause has begun since: this prompt is old
        or pause.ended_early_at is not None
        or now - pause.ends_at > EXTEND_WITHIN
    ):
        return texts.PAUSE_EXTEND_LATE
    # A moment, extension included, lasts a day at most.
    ends = min(max(now, pause.ends_at) + EXTENSIONS[choice], pause.started_at + MAX_PAUSE)
    if ends <= max(now, pause.ends_at):
        return texts.PAUSE_EXTEND_MAX
    await _drop_returns(session, pause)
    pause.extended = True
    pause.ends_at = ends
    person.paused_until = pause.ends_at
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"pause-extended:{pause.id}",
        kind="pause_notice",
        text=texts.pause_extended_notice(
            person.first_name, wall_time(pause.ends_at, partner.timezone)
        ),
        now=now,
    )
    await _plan_return(session, pause, person, partner, now)
    return Extended(wall_time(pause.ends_at, person.timezone))
