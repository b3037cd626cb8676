"""A private log of moments that set off a fear, and an "I"-statement to say it afterwards:
"When <what happened>, I felt <feeling>. I need <need>." Nothing leaves the log unless its
author chooses: share it with the partner, or bring it to the couple's next talk."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import Person, Ritual, Trigger
from bot.services import outbox, replies
from bot.services.common import Refusal, Rejected, TooLong, clean_text
from bot.services.people import await_reply, partner_of
from bot.services.schedule import local_now

DRAFT, PRIVATE, SHARED, TALK = "draft", "private", "shared", "talk"
AWAIT_WHAT = "trigger_what"  # "When you …": what happened, again, as a sentence
AWAIT_FEELING = "trigger_feeling"
AWAIT_NEED = "trigger_need"
OTHER = len(texts.FEELINGS)  # the "Something else" button's index, for both questions
# A statement brought to a talk is shown at both partners' talk prompts of that day.
TALK_WINDOW = timedelta(hours=12)
TALK_TOPICS = 5  # a talk prompt brings up at most this many; the rest wait for the next
LIST_LIMIT = 20


def statement(trigger: Trigger) -> str:
    return texts.i_statement(trigger.what, trigger.feeling or "", trigger.need or "")


def _choices(trigger_id: int, action: str, words: tuple[str, ...]) -> Buttons:
    rows: Buttons = [
        [(word, callbacks.pack(callbacks.TRIGGER, action, trigger_id, i))]
        for i, word in enumerate(words)
    ]
    rows.append(
        [(texts.OTHER_BUTTON, callbacks.pack(callbacks.TRIGGER, action, trigger_id, OTHER))]
    )
    return rows


def feeling_buttons(trigger_id: int) -> Buttons:
    return _choices(trigger_id, "f", texts.FEELINGS)


def need_buttons(trigger_id: int) -> Buttons:
    return _choices(trigger_id, "n", texts.NEEDS)


def outcome_buttons(trigger_id: int, partner: str | None) -> Buttons:
    rows: Buttons = []
    if partner is not None:
        rows.append(
            [(texts.share_with_button(partner), callbacks.pack(callbacks.TRIGGER, "s", trigger_id))]
        )
        rows.append([(texts.FOR_TALK_BUTTON, callbacks.pack(callbacks.TRIGGER, "t", trigger_id))])
    rows.append([(texts.KEEP_PRIVATE_BUTTON, callbacks.pack(callbacks.TRIGGER, "p", trigger_id))])
    return rows


def _what(raw: str) -> str | Rejected:
    what = " ".join(clean_text(raw).split())
    if not what:
        return Refusal.EMPTY
    if len(what) > texts.TRIGGER_MAX_CHARS:
        return TooLong(len(what), texts.TRIGGER_MAX_CHARS)
    return what.rstrip(".!")


@dataclass(frozen=True)
class Next:
    """What to show next: a question with buttons, or (typed=True) a prompt for typed words."""

    text: str
    buttons: Buttons
    typed: bool = False


def reads_as_clause(what: str, partner: str | None) -> bool:
    """Whether typed words read right after "When": they start with someone ("you didn't
    reply", "Sam left early") or have a verb after the first word ("the plans changed"). "late
    reply" does not: "When late reply, I felt …" reads wrong."""
    words = [w.strip(texts.CLAUSE_PUNCTUATION).lower() for w in what.split()]
    if not words:
        return False
    if words[0] in texts.CLAUSE_SUBJECTS or (partner is not None and words[0] == partner.lower()):
        return True
    for before, word in itertools.pairwise(words):
        if word in texts.CLAUSE_VERBS or word.endswith(texts.CLAUSE_NEGATION):
            return True
        if word.endswith(texts.CLAUSE_PAST) and before not in texts.CLAUSE_DETERMINERS:
            return True
    return False


async def _draft(session: AsyncSession, person: Person, what: str, now: datetime) -> int:
    trigger = Trigger(
        person_id=person.id,
        couple_id=person.couple_id,
        what=what,
        status=DRAFT,
        created_at=now,
    )
    session.add(trigger)
    await session.flush()
    return trigger.id


def _after_when(what: str, partner: str | None) -> str:
    """Typed words as they read after "When": the first word lowered, unless it is the
    partner's name ("Sam left early" stays as it is)."""
    first = what.split(maxsplit=1)[0] if what.split() else ""
    if partner is not None and first.lower() == partner.lower():
        return what
    return texts.what_happened(what)


async def _partner_name(session: AsyncSession, person: Person) -> str | None:
    partner = await partner_of(session, person)
    return partner.first_name if partner is not None else None


async def log(
    session: AsyncSession, person: Person, raw: str, now: datetime
) -> int | Next | Rejected:
    """/trigger <what happened>: a private draft; returns its id for the feeling question — or,
    when the words would not read right after "When" ("late reply"), asks for them again as the
    end of "When you …" (typed=True)."""
    what = _what(raw)
    if not isinstance(what, str):
        return what
    partner = await _partner_name(session, person)
    what = _after_when(what, partner)
    if not reads_as_clause(what, partner):
        await_reply(person, AWAIT_WHAT, None, now)
        return Next(texts.trigger_when_you(what), [], typed=True)
    return await _draft(session, person, what, now)


async def typed_what(
    session: AsyncSession, person: Person, raw: str, now: datetime
) -> int | Rejected:
    """The end of "When you …", typed after the prompt: "replied hours later" becomes "you
    replied hours later"; words that already start with someone stay as they are."""
    what = _what(raw)
    if not isinstance(what, str):
        await_reply(person, AWAIT_WHAT, None, now)
        return what
    partner = await _partner_name(session, person)
    what = _after_when(texts.without_when(what), partner)
    if not reads_as_clause(what, partner):
        what = texts.when_you(what)
    return await _draft(session, person, what, now)


async def _own(session: AsyncSession, person: Person, trigger_id: int) -> Trigger | None:
    trigger = await session.get(Trigger, trigger_id)
    return trigger if trigger is not None and trigger.person_id == person.id else None


async def _after_answer(session: AsyncSession, person: Person, trigger: Trigger) -> Next:
    if trigger.need is None:
        return Next(texts.TRIGGER_NEED_ASK, need_buttons(trigger.id))
    partner = await partner_of(session, person)
    return Next(
        texts.trigger_offer(statement(trigger)),
        outcome_buttons(trigger.id, partner.first_name if partner else None),
    )


async def choose(
    session: AsyncSession, person: Person, trigger_id: int, question: str, index: int, now: datetime
) -> Next | Refusal:
    """A tap on a feeling ("f") or a need ("n"); "Something else" asks for typed words."""
    trigger = await _own(session, person, trigger_id)
    words = texts.FEELINGS if question == "f" else texts.NEEDS
    if trigger is None or not 0 <= index <= OTHER:
        return Refusal.STALE
    if trigger.status != DRAFT:
        return Refusal.ALREADY_ANSWERED
    if index == OTHER:
        kind = AWAIT_FEELING if question == "f" else AWAIT_NEED
        await_reply(person, kind, trigger.id, now)
        prompt = texts.TRIGGER_FEELING_TYPE if question == "f" else texts.TRIGGER_NEED_TYPE
        return Next(prompt, [], typed=True)
    if question == "f":
        trigger.feeling = words[index]
    else:
        trigger.need = words[index]
    return await _after_answer(session, person, trigger)


async def typed(
    session: AsyncSession, person: Person, trigger_id: int, kind: str, raw: str, now: datetime
) -> Next | Rejected:
    trigger = await _own(session, person, trigger_id)
    if trigger is None or trigger.status != DRAFT:
        return Refusal.STALE
    words = " ".join(clean_text(raw).split()).rstrip(".!")
    if not words:
        await_reply(person, kind, trigger.id, now)
        return Refusal.EMPTY
    if len(words) > texts.TRIGGER_WORD_MAX_CHARS:
        await_reply(person, kind, trigger.id, now)
        return TooLong(len(words), texts.TRIGGER_WORD_MAX_CHARS)
    if kind == AWAIT_FEELING:
        trigger.feeling = words
    else:
        trigger.need = words
    return await _after_answer(session, person, trigger)


@dataclass(frozen=True)
class Settled:
    text: str


async def settle(
    session: AsyncSession, person: Person, trigger_id: int, action: str, now: datetime
) -> Settled | Refusal:
    """Share ("s"), bring to the next talk ("t"), or keep private ("p")."""
    trigger = await _own(session, person, trigger_id)
    if trigger is None or trigger.feeling is None or trigger.need is None:
        return Refusal.STALE
    if trigger.status != DRAFT:
        return Refusal.ALREADY_ANSWERED
    if action == "p":
        trigger.status = PRIVATE
        return Settled(texts.TRIGGER_KEPT)
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None or trigger.couple_id != person.couple_id:
        return Refusal.STALE
    if action == "s":
        trigger.status = SHARED
        await outbox.tell_partner(
            session,
            person,
            partner,
            key=f"trigger:{trigger.id}",
            kind="trigger_shared",
            text=texts.trigger_from(person.first_name, statement(trigger)),
            buttons_for=replies.warm_buttons,
            now=now,
        )
        return Settled(texts.trigger_shared(partner.first_name))
    trigger.status = TALK
    has_talk = await session.scalar(
        select(Ritual.id).where(
            Ritual.couple_id == person.couple_id, Ritual.kind == "talk", Ritual.paused.is_(False)
        )
    )
    return Settled(texts.TRIGGER_FOR_TALK if has_talk else texts.TRIGGER_FOR_TALK_NO_RITUAL)


@dataclass(frozen=True)
class Topics:
    """What to bring up at a talk: at most TALK_TOPICS, oldest first; the rest wait a week."""

    lines: list[tuple[str, str]]  # (author, statement)
    ids: list[int]


async def for_talk(session: AsyncSession, couple_id: int, now: datetime) -> Topics:
    """Statements to bring up at a talk happening now: those not brought up yet, and those
    brought up within TALK_WINDOW (so both partners' prompts that day show the same)."""
    rows = (
        await session.execute(
            select(Trigger, Person.first_name)
            .join(Person, Person.id == Trigger.person_id)
            .where(
                Trigger.couple_id == couple_id,
                Trigger.status == TALK,
                or_(Trigger.brought_up_at.is_(None), Trigger.brought_up_at >= now - TALK_WINDOW),
            )
            .order_by(Trigger.id)
            .limit(TALK_TOPICS)
        )
    ).all()
    return Topics(
        [(name, texts.shortened(statement(t), texts.TALK_TOPIC_MAX)) for t, name in rows],
        [t.id for t, _ in rows],
    )


async def brought_up(session: AsyncSession, topics: Topics, now: datetime) -> None:
    """The talk prompt carrying `topics` is on its way: they count as brought up from now."""
    if topics.ids:
        await session.execute(
            update(Trigger)
            .where(Trigger.id.in_(topics.ids), Trigger.brought_up_at.is_(None))
            .values(brought_up_at=now)
        )


async def listing(session: AsyncSession, person: Person) -> list[tuple[str, str, str]]:
    """The person's own log, newest first: (when, text, status)."""
    rows = await session.scalars(
        select(Trigger)
        .where(Trigger.person_id == person.id)
        .order_by(Trigger.id.desc())
        .limit(LIST_LIMIT)
    )
    zone = person.timezone or "UTC"
    out = []
    for t in rows:
        text = statement(t) if t.feeling and t.need else texts.quoted(t.what)
        status = "talked" if t.status == TALK and t.brought_up_at is not None else t.status
        out.append(
            (texts.entry_date(local_now(t.created_at, zone)), text, texts.TRIGGER_STATUS[status])
        )
    return out
