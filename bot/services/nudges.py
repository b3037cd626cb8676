"""Thinking-of-you nudges. At the giver's nudge time either a note they wrote in advance goes to
their partner ("a note Alex wrote for you"), or the giver is prompted with their own one-tap
notes (a few warm defaults until they write some) and "✍️ Write one". Whatever reaches the
partner is something the giver wrote or chose."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import Delivery, Letter, Person, QuickNote, Ritual, RitualSlot
from bot.services import outbox, replies, voice
from bot.services.common import Refusal, Rejected, TooLong, clean_text
from bot.services.people import await_reply, partner_of
from bot.services.voice import Recording

AWAIT_NUDGE = "nudge_write"
AWAIT_LETTER = "letter_write"  # /note alone: the next message, typed or a voice message
PROMPT_KIND = "nudge_prompt"
LETTER_KIND = "nudge_letter"
LETTER_MAX_CHARS = 1000

Deliver = Callable[..., Awaitable[int | None]]


async def quick_notes(session: AsyncSession, person: Person) -> list[QuickNote]:
    return list(
        await session.scalars(
            select(QuickNote).where(QuickNote.author_id == person.id).order_by(QuickNote.id)
        )
    )


async def _waiting_letter(session: AsyncSession, giver: Person) -> Letter | None:
    """The oldest note written in advance that has not reached the partner yet."""
    return await session.scalar(
        select(Letter)
        .outerjoin(Delivery, Delivery.id == Letter.delivery_id)
        .where(
            Letter.author_id == giver.id,
            Letter.couple_id == giver.couple_id,
            or_(Letter.delivery_id.is_(None), Delivery.status.in_(("skipped", "failed"))),
        )
        .order_by(Letter.id)
        .limit(1)
    )


async def occur(session: AsyncSession, giver: Person, partner: Person, deliver: Deliver) -> None:
    """A nudge occurrence: a waiting letter goes to the partner, or the giver is prompted."""
    letter = await _waiting_letter(session, giver)
    if letter is not None:
        letter.delivery_id = await deliver(
            partner,
            texts.letter_from(giver.first_name, letter.text),
            replies.warm_buttons,
            kind=LETTER_KIND,
            media=voice.media(voice.of_letter(letter)),
        )
        return
    notes = await quick_notes(session, giver)

    def buttons(row: int) -> Buttons:
        rows: Buttons = (
            [
                [(texts.shortened(n.text, 48), callbacks.pack(callbacks.NUDGE, "s", row, n.id))]
                for n in notes
            ]
            if notes
            else [
                [(words, callbacks.pack(callbacks.NUDGE, "d", row, i))]
                for i, words in enumerate(texts.DEFAULT_QUICK_NOTES)
            ]
        )
        rows.append([(texts.WRITE_ONE_BUTTON, callbacks.pack(callbacks.NUDGE, "w", row))])
        return rows

    await deliver(giver, texts.nudge_prompt(partner.first_name), buttons, kind=PROMPT_KIND)


@dataclass(frozen=True)
class Sent:
    partner_name: str
    words: str


async def _own_prompt(session: AsyncSession, person: Person, delivery_id: int) -> Person | None:
    """The partner, if `delivery_id` is a nudge prompt sent to this person in their couple."""
    return await outbox.tapped(session, person, delivery_id, PROMPT_KIND)


async def _send(
    session: AsyncSession,
    person: Person,
    partner: Person,
    delivery_id: int,
    words: str,
    now: datetime,
    recording: Recording | None = None,
) -> Sent | Refusal:
    sent = await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"nudge:{delivery_id}",
        kind="nudge",
        text=texts.nudge_from(person.first_name, words),
        buttons_for=replies.warm_buttons,
        media=voice.media(recording),
        now=now,
    )
    return Sent(partner.first_name, words) if sent else Refusal.ALREADY_ANSWERED


async def send_chosen(
    session: AsyncSession,
    person: Person,
    delivery_id: int,
    now: datetime,
    *,
    note_id: int | None = None,
    default: int | None = None,
) -> Sent | Refusal:
    """The giver tapped one of their notes (or a default) on a nudge prompt: it goes, once."""
    partner = await _own_prompt(session, person, delivery_id)
    if partner is None:
        return Refusal.STALE
    if note_id is not None:
        note = await session.get(QuickNote, note_id)
        if note is None or note.author_id != person.id:
            return Refusal.STALE
        words = note.text
    elif default is not None and 0 <= default < len(texts.DEFAULT_QUICK_NOTES):
        words = texts.DEFAULT_QUICK_NOTES[default]
    else:
        return Refusal.STALE
    return await _send(session, person, partner, delivery_id, words, now)


async def start_writing(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime
) -> str | Refusal:
    """✍️ Write one: the giver's next text goes to their partner. Returns the partner's name."""
    partner = await _own_prompt(session, person, delivery_id)
    if partner is None:
        return Refusal.STALE
    await_reply(person, AWAIT_NUDGE, delivery_id, now)
    return partner.first_name


async def send_written(
    session: AsyncSession, person: Person, delivery_id: int, raw: str, now: datetime
) -> Sent | Rejected:
    partner = await _own_prompt(session, person, delivery_id)
    if partner is None:
        return Refusal.STALE
    words = clean_text(raw)
    if not words:
        return Refusal.EMPTY
    if len(words) > LETTER_MAX_CHARS:
        await_reply(person, AWAIT_NUDGE, delivery_id, now)
        return TooLong(len(words), LETTER_MAX_CHARS)
    return await _send(session, person, partner, delivery_id, words, now)


async def send_recorded(
    session: AsyncSession, person: Person, delivery_id: int, recording: Recording, now: datetime
) -> Sent | Refusal:
    """✍️ Write one, answered with a voice message (or a video note): it goes as theirs."""
    partner = await _own_prompt(session, person, delivery_id)
    if partner is None:
        return Refusal.STALE
    return await _send(session, person, partner, delivery_id, recording.label, now, recording)


# --- /notes and /note ---------------------------------------------------------------------


async def add_quick_note(
    session: AsyncSession, person: Person, raw: str, now: datetime
) -> str | Rejected:
    words = clean_text(raw)
    if not words:
        return Refusal.EMPTY
    if len(words) > texts.QUICK_NOTE_MAX_CHARS:
        return TooLong(len(words), texts.QUICK_NOTE_MAX_CHARS)
    notes = await quick_notes(session, person)
    if len(notes) >= texts.QUICK_NOTES_MAX:
        return Refusal.LIMIT
    if any(n.text == words for n in notes):
        return Refusal.DUPLICATE
    session.add(QuickNote(author_id=person.id, text=words, created_at=now))
    return words


async def remove_quick_note(session: AsyncSession, person: Person, note_id: int) -> str | Refusal:
    note = await session.get(QuickNote, note_id)
    if note is None or note.author_id != person.id:
        return Refusal.STALE
    await session.delete(note)
    return note.text


@dataclass(frozen=True)
class LetterSaved:
    partner_name: str
    has_nudge: bool  # the writer has a nudge ritual (the letter waits for it either way)
    next_nudge: datetime | None  # None while it waits (paused, no time zone yet)
    zone: str | None


async def start_letter(session: AsyncSession, person: Person, now: datetime) -> str | Refusal:
    """/note alone: the next message — typed, or a voice message — is the note. Returns the
    partner's name."""
    partner = await partner_of(session, person)
    if partner is None:
        return Refusal.NOT_PAIRED
    await_reply(person, AWAIT_LETTER, None, now)
    return partner.first_name


async def write_letter(
    session: AsyncSession,
    person: Person,
    raw: str,
    now: datetime,
    recording: Recording | None = None,
) -> LetterSaved | Rejected:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    words = recording.label if recording else clean_text(raw)
    if not words:
        return Refusal.EMPTY
    if len(words) > LETTER_MAX_CHARS:
        return TooLong(len(words), LETTER_MAX_CHARS)
    waiting = await session.scalar(
        select(func.count())
        .select_from(Letter)
        .where(Letter.author_id == person.id, Letter.delivery_id.is_(None))
    )
    if (waiting or 0) >= 20:
        return Refusal.LIMIT
    session.add(
        Letter(
            couple_id=person.couple_id,
            author_id=person.id,
            text=words,
            created_at=now,
            media_kind=recording.kind if recording else None,
            media_file_id=recording.file_id if recording else None,
            media_seconds=recording.seconds if recording else None,
        )
    )
    next_nudge = await session.scalar(
        select(func.min(RitualSlot.next_due_at))
        .join(Ritual, Ritual.id == RitualSlot.ritual_id)
        .where(
            Ritual.kind == "nudge",
            Ritual.giver_id == person.id,
            Ritual.couple_id == person.couple_id,
        )
    )
    has_nudge = await session.scalar(
        select(func.count())
        .select_from(Ritual)
        .where(Ritual.kind == "nudge", Ritual.giver_id == person.id)
    )
    return LetterSaved(partner.first_name, bool(has_nudge), next_nudge, person.timezone)
