"""A question for two: the `question` ritual asks both partners the same question at one
instant. Each answers privately; once both have, both answers go to both. An unanswered
question is never chased: it lapses when the next one is asked, and nobody hears who didn't."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.db.models import Delivery, Person, QuestionAnswer, QuestionRound, Ritual
from bot.services import outbox, people
from bot.services.common import Refusal, Rejected, TooLong, clean_text
from bot.services.people import partner_of

AWAIT_ANSWER = "question_answer"
ANSWER_MAX_CHARS = 1000

Deliver = Callable[..., Awaitable[int | None]]


def pick_next(couple_id: int, asked: list[int]) -> int:
    """The next question: none repeats until all were asked. Each couple goes through the set in
    its own order (shuffled by couple and round of the set); `asked` is every number asked so
    far, oldest first."""
    total = len(texts.QUESTIONS)
    cycle, position = divmod(len(asked), total)
    this_cycle = set(asked[len(asked) - position :]) if position else set()
    order = list(range(total))
    random.Random(f"{couple_id}:{cycle}").shuffle(order)
    return next(n for n in order if n not in this_cycle)


async def _round_at(session: AsyncSession, ritual: Ritual, occurrence: datetime) -> QuestionRound:
    """The round of this occurrence: the first partner's slot makes it, the second finds it."""
    found = await session.scalar(
        select(QuestionRound).where(
            QuestionRound.ritual_id == ritual.id, QuestionRound.asked_at == occurrence
        )
    )
    if found is not None:
        return found
    asked = list(
        await session.scalars(
            select(QuestionRound.number)
            .where(QuestionRound.couple_id == ritual.couple_id)
            .order_by(QuestionRound.asked_at, QuestionRound.id)
        )
    )
    made = QuestionRound(
        couple_id=ritual.couple_id,
        ritual_id=ritual.id,
        number=pick_next(ritual.couple_id, asked),
        asked_at=occurrence,
    )
    session.add(made)
    await session.flush()
    return made


def buttons(delivery_id: int) -> callbacks.Buttons:
    return [[(texts.QUESTION_ANSWER_BUTTON, callbacks.pack(callbacks.QUESTION, "a", delivery_id))]]


async def occur(
    session: AsyncSession,
    ritual: Ritual,
    person: Person,
    occurrence: datetime,
    deliver: Deliver,
) -> None:
    asked = await _round_at(session, ritual, occurrence)
    await deliver(person, texts.question_prompt(texts.QUESTIONS[asked.number]), buttons)


async def _open_round(session: AsyncSession, person: Person, round_id: int) -> QuestionRound | None:
    """The round, if it is this person's couple's and still the newest of its ritual."""
    # Locked (PostgreSQL): two answers committing at once would each miss the other's, and
    # neither would reveal; SQLite's writer already takes them one at a time.
    found = await session.get(QuestionRound, round_id, with_for_update=True)
    if found is None or person.couple_id is None or found.couple_id != person.couple_id:
        return None
    newer = await session.scalar(
        select(func.count())
        .select_from(QuestionRound)
        .where(QuestionRound.ritual_id == found.ritual_id, QuestionRound.asked_at > found.asked_at)
    )
    return found if not newer else None


async def _answer_of(session: AsyncSession, round_id: int, person_id: int) -> str | None:
    return await session.scalar(
        select(QuestionAnswer.text).where(
            QuestionAnswer.round_id == round_id, QuestionAnswer.person_id == person_id
        )
    )


@dataclass(frozen=True)
class Passed:
    """A newer question has been asked: this one lapsed."""


@dataclass(frozen=True)
class Asked:
    question: str
    round_id: int


async def start_answer(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime
) -> Asked | Passed | Refusal:
    """✍️ Answer under a question: the next text the person sends is their answer. STALE if the
    button is not theirs (or the couple is gone); Passed if a newer question has been asked;
    ALREADY_ANSWERED if they have answered."""
    partner = await outbox.tapped(session, person, delivery_id, "question")
    row = await session.get(Delivery, delivery_id)
    if partner is None or row is None or row.ritual_id is None or row.occurrence_at is None:
        return Refusal.STALE
    round_id = await session.scalar(
        select(QuestionRound.id).where(
            QuestionRound.ritual_id == row.ritual_id, QuestionRound.asked_at == row.occurrence_at
        )
    )
    if round_id is None:
        return Refusal.STALE
    asked = await _open_round(session, person, round_id)
    if asked is None:
        return Passed()
    if await _answer_of(session, asked.id, person.id) is not None:
        return Refusal.ALREADY_ANSWERED
    people.await_reply(person, AWAIT_ANSWER, asked.id, now)
    return Asked(texts.QUESTIONS[asked.number], asked.id)


@dataclass(frozen=True)
class Answered:
    revealed: str | None  # both answers, as the person sees them, once both answered


async def answer(
    session: AsyncSession, person: Person, round_id: int, raw: str, now: datetime
) -> Answered | Rejected:
    """The typed answer. Kept private until the partner has answered too; then both answers go
    to both at once (to the partner through the outbox, on the person's behalf)."""
    words = clean_text(raw)
    if not words:
        return Refusal.EMPTY
    if len(words) > ANSWER_MAX_CHARS:
        return TooLong(len(words), ANSWER_MAX_CHARS)
    asked = await _open_round(session, person, round_id)
    partner = await partner_of(session, person)
    if asked is None or partner is None:
        return Refusal.STALE
    if await _answer_of(session, asked.id, person.id) is not None:
        return Refusal.ALREADY_ANSWERED
    session.add(QuestionAnswer(round_id=asked.id, person_id=person.id, text=words, created_at=now))
    theirs = await _answer_of(session, asked.id, partner.id)
    if theirs is None:
        return Answered(None)
    asked.revealed_at = now
    question = texts.QUESTIONS[asked.number]
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"question-revealed:{asked.id}",
        kind="question_revealed",
        text=texts.question_revealed(question, theirs, person.first_name, words),
        now=now,
    )
    return Answered(texts.question_revealed(question, words, partner.first_name, theirs))
