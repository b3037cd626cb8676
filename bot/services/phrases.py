"""Agreed phrases: words that reassure the receiver, which the giver has agreed to say.

The receiver proposes (/phrase) or the giver offers (/offer); only when the other side agrees is
a phrase `agreed` — and only agreed phrases are ever relayed. Every answer is checked against the
presser's own couple and role; anything else is STALE and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import Person, Phrase
from bot.services import outbox, voice
from bot.services.common import Refusal, Rejected, TooLong, clean_text
from bot.services.people import await_reply, partner_of
from bot.services.voice import Recording

PROPOSED, OFFERED, AGREED = "proposed", "offered", "agreed"
AWAIT_REWORD = "phrase_reword"
AWAIT_PROPOSE = "phrase_propose"
AWAIT_OFFER = "phrase_offer"


@dataclass(frozen=True)
class Words:
    """A successful step: the words involved and the other partner's name, for the reply."""

    words: str
    partner_name: str


def validate(raw: str) -> str | Rejected:
    words = clean_text(raw)
    if not words:
        return Refusal.EMPTY
    if len(words) > texts.PHRASE_MAX_CHARS:
        return TooLong(len(words), texts.PHRASE_MAX_CHARS)
    return words


async def _direction_count(
    session: AsyncSession, couple_id: int, receiver_id: int, *statuses: str
) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(Phrase)
        .where(
            Phrase.couple_id == couple_id,
            Phrase.receiver_id == receiver_id,
            Phrase.status.in_(statuses),
        )
    )
    return int(count or 0)


async def _new_phrase(
    session: AsyncSession,
    person: Person,
    raw: str,
    now: datetime,
    *,
    as_receiver: bool,
    recording: Recording | None = None,
) -> tuple[Phrase, Person] | Rejected:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    checked = recording.label if recording else validate(raw)
    if not isinstance(checked, str):
        return checked
    receiver, giver = (person, partner) if as_receiver else (partner, person)
    couple_id = person.couple_id
    limit = texts.PHRASES_PER_DIRECTION
    if await _direction_count(session, couple_id, receiver.id, AGREED) >= limit:
        return Refusal.LIMIT
    if await _direction_count(session, couple_id, receiver.id, PROPOSED, OFFERED) >= limit:
        return Refusal.PENDING_LIMIT
    if recording is None and await _is_duplicate(session, couple_id, receiver.id, checked):
        return Refusal.DUPLICATE
    phrase = Phrase(
        couple_id=couple_id,
        receiver_id=receiver.id,
        giver_id=giver.id,
        proposed_by_id=person.id,
        text=checked,
        status=PROPOSED if as_receiver else OFFERED,
        reworded=False,
        created_at=now,
        media_kind=recording.kind if recording else None,
        media_file_id=recording.file_id if recording else None,
        media_seconds=recording.seconds if recording else None,
    )
    session.add(phrase)
    await session.flush()
    return phrase, partner


async def _is_duplicate(
    session: AsyncSession, couple_id: int, receiver_id: int, words: str, but: int | None = None
) -> bool:
    """The same words already in this direction (other than phrase `but`). Compared here, not
    in SQL: with DATA_KEY set the stored text is encrypted (a direction holds ≤ 100 rows)."""
    texts_ = await session.scalars(
        select(Phrase.text).where(
            Phrase.couple_id == couple_id,
            Phrase.receiver_id == receiver_id,
            Phrase.id != (but or 0),
        )
    )
    return words in set(texts_)


def proposal_buttons(phrase_id: int) -> Buttons:
    return [
        [
            (texts.AGREE_BUTTON, callbacks.pack(callbacks.PHRASE_ANSWER, "a", phrase_id)),
            (texts.EDIT_BUTTON, callbacks.pack(callbacks.PHRASE_ANSWER, "e", phrase_id)),
            (texts.DECLINE_BUTTON, callbacks.pack(callbacks.PHRASE_ANSWER, "d", phrase_id)),
        ]
    ]


def offer_buttons(phrase_id: int) -> Buttons:
    return [
        [
            (texts.ACCEPT_BUTTON, callbacks.pack(callbacks.OFFER_ANSWER, "a", phrase_id)),
            (texts.NO_THANKS_BUTTON, callbacks.pack(callbacks.OFFER_ANSWER, "d", phrase_id)),
        ]
    ]


def remove_button(phrase_id: int) -> Buttons:
    return [[(texts.REMOVE_BUTTON, callbacks.pack(callbacks.PHRASE_REMOVE, "x", phrase_id))]]


async def propose(
    session: AsyncSession, person: Person, raw: str, now: datetime
) -> Words | Rejected:
    """The receiver asks for words; the giver is asked to agree, edit or decline."""
    made = await _new_phrase(session, person, raw, now, as_receiver=True)
    if not isinstance(made, tuple):
        return made
    phrase, partner = made
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"phrase-ask:{phrase.id}",
        kind="phrase_ask",
        text=texts.phrase_request(person.first_name, phrase.text),
        buttons=proposal_buttons(phrase.id),
        now=now,
    )
    return Words(phrase.text, partner.first_name)


async def offer(
    session: AsyncSession,
    person: Person,
    raw: str,
    now: datetime,
    recording: Recording | None = None,
) -> Words | Rejected:
    """The giver offers words unprompted (typed, or a recording); they go live when the receiver
    accepts — a recording after the receiver has heard it, as it comes with the question."""
    made = await _new_phrase(session, person, raw, now, as_receiver=False, recording=recording)
    if not isinstance(made, tuple):
        return made
    phrase, partner = made
    text = (
        texts.recording_offer(person.first_name, phrase.text, None)
        if recording
        else texts.phrase_offer(person.first_name, phrase.text)
    )
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"phrase-offer:{phrase.id}",
        kind="phrase_offer",
        text=text,
        buttons=offer_buttons(phrase.id),
        media=voice.media(recording),
        now=now,
    )
    return Words(phrase.text, partner.first_name)


async def answer_with_recording(
    session: AsyncSession, person: Person, phrase_id: int, recording: Recording, now: datetime
) -> Words | Rejected:
    """The giver answers words the receiver asked for with a recording (after ✏️ Edit): it is
    theirs to say it their way, but the receiver hears it first and accepts it, or not — it is
    offered, not agreed."""
    phrase = await _awaiting_answer(session, person, phrase_id, PROPOSED)
    if not isinstance(phrase, Phrase):
        return phrase
    receiver = await partner_of(session, person)
    assert receiver is not None
    asked = phrase.text
    phrase.text = recording.label
    phrase.media_kind = recording.kind
    phrase.media_file_id = recording.file_id
    phrase.media_seconds = recording.seconds
    phrase.reworded = True
    phrase.status = OFFERED
    await outbox.tell_partner(
        session,
        person,
        receiver,
        key=f"phrase-offer:{phrase.id}",
        kind="phrase_offer",
        text=texts.recording_offer(person.first_name, phrase.text, asked),
        buttons=offer_buttons(phrase.id),
        media=voice.media(recording),
        now=now,
    )
    return Words(phrase.text, receiver.first_name)


async def _own_phrase(session: AsyncSession, person: Person, phrase_id: int) -> Phrase | None:
    """The phrase, if it belongs to the presser's current couple (else None: stale or forged)."""
    if person.couple_id is None:
        return None
    phrase = await session.get(Phrase, phrase_id, with_for_update=True, populate_existing=True)
    if phrase is None or phrase.couple_id != person.couple_id:
        return None
    return phrase


async def _awaiting_answer(
    session: AsyncSession, person: Person, phrase_id: int, asked: str
) -> Phrase | Refusal:
    """A proposal (`asked` PROPOSED, answered by its giver) or an offer (OFFERED, by its
    receiver) that `person` may answer now."""
    phrase = await _own_phrase(session, person, phrase_id)
    if phrase is None:
        return Refusal.STALE
    if (phrase.giver_id if asked == PROPOSED else phrase.receiver_id) != person.id:
        return Refusal.STALE
    if phrase.status != asked:
        return Refusal.ALREADY_ANSWERED
    return phrase


async def _agreed_room(session: AsyncSession, phrase: Phrase) -> bool:
    agreed = await _direction_count(session, phrase.couple_id, phrase.receiver_id, AGREED)
    return agreed < texts.PHRASES_PER_DIRECTION


async def answer_proposal(
    session: AsyncSession, person: Person, phrase_id: int, agree: bool, now: datetime
) -> Words | Refusal:
    """The giver agrees to, or declines, words the receiver asked for."""
    return await _answer(session, person, phrase_id, agree, now, asked=PROPOSED)


async def answer_offer(
    session: AsyncSession, person: Person, phrase_id: int, accept: bool, now: datetime
) -> Words | Refusal:
    """The receiver accepts, or declines, words the giver offered."""
    return await _answer(session, person, phrase_id, accept, now, asked=OFFERED)


_ANSWER_NOTICES = {
    (PROPOSED, True): texts.phrase_agreed_receiver,
    (PROPOSED, False): texts.phrase_declined_receiver,
    (OFFERED, True): texts.offer_accepted_giver,
    (OFFERED, False): texts.offer_declined_giver,
}


async def _answer(
    session: AsyncSession, person: Person, phrase_id: int, yes: bool, now: datetime, *, asked: str
) -> Words | Refusal:
    """The partner who was asked answers: yes makes the words live, no drops them; the one who
    asked hears either way. A proposal is answered by its giver, an offer by its receiver."""
    phrase = await _awaiting_answer(session, person, phrase_id, asked)
    if not isinstance(phrase, Phrase):
        return phrase
    asker = await partner_of(session, person)
    assert asker is not None
    words = phrase.text
    if yes:
        if not await _agreed_room(session, phrase):
            return Refusal.LIMIT
        phrase.status = AGREED
        phrase.agreed_at = now
    else:
        await session.delete(phrase)
    await outbox.tell_partner(
        session,
        person,
        asker,
        key=f"phrase-answer:{phrase_id}",
        kind="phrase_answer",
        text=_ANSWER_NOTICES[(asked, yes)](person.first_name, words),
        now=now,
    )
    return Words(words, asker.first_name)


async def start_rewording(
    session: AsyncSession, person: Person, phrase_id: int, now: datetime
) -> Words | Refusal:
    """The giver chose ✏️ Edit: their next text becomes the words."""
    phrase = await _own_phrase(session, person, phrase_id)
    if phrase is None or phrase.giver_id != person.id:
        return Refusal.STALE
    if phrase.status != PROPOSED:
        return Refusal.ALREADY_ANSWERED
    await_reply(person, AWAIT_REWORD, phrase.id, now)
    return Words(phrase.text, "")


async def finish_rewording(
    session: AsyncSession, person: Person, phrase_id: int, raw: str, now: datetime
) -> Words | Rejected:
    phrase = await _own_phrase(session, person, phrase_id)
    if phrase is None or phrase.giver_id != person.id:
        return Refusal.STALE
    if phrase.status != PROPOSED:
        return Refusal.ALREADY_ANSWERED
    checked = validate(raw)
    if not isinstance(checked, str):
        await_reply(person, AWAIT_REWORD, phrase.id, now)  # let them try again
        return checked
    if await _is_duplicate(session, phrase.couple_id, phrase.receiver_id, checked, but=phrase.id):
        await_reply(person, AWAIT_REWORD, phrase.id, now)
        return Refusal.DUPLICATE
    if not await _agreed_room(session, phrase):
        return Refusal.LIMIT
    receiver = await partner_of(session, person)
    assert receiver is not None
    phrase.text = checked
    phrase.reworded = True
    phrase.status = AGREED
    phrase.agreed_at = now
    await outbox.tell_partner(
        session,
        person,
        receiver,
        key=f"phrase-answer:{phrase.id}",
        kind="phrase_answer",
        text=texts.phrase_reworded_receiver(person.first_name, checked),
        buttons=remove_button(phrase.id),
        now=now,
    )
    return Words(checked, receiver.first_name)


def _removable_by(phrase: Phrase, person: Person) -> bool:
    """The receiver owns the words they'll hear (agreed, or asked for and pending); the giver
    owns the words they agreed to say."""
    if phrase.receiver_id == person.id:
        return phrase.status == AGREED or phrase.proposed_by_id == person.id
    return phrase.giver_id == person.id and phrase.status in (AGREED, OFFERED)


async def remove(
    session: AsyncSession, person: Person, phrase_id: int, now: datetime
) -> Words | Refusal:
    phrase = await _own_phrase(session, person, phrase_id)
    if phrase is None or not _removable_by(phrase, person):
        return Refusal.STALE
    partner = await partner_of(session, person)
    assert partner is not None
    words, was_live = phrase.text, phrase.status == AGREED
    by_receiver = phrase.receiver_id == person.id
    await session.delete(phrase)
    if was_live:  # the other side relied on these words; tell them, neutrally
        notice = (
            texts.phrase_removed_by_receiver(person.first_name, words)
            if by_receiver
            else texts.phrase_removed_by_giver(person.first_name, words)
        )
        await outbox.tell_partner(
            session,
            person,
            partner,
            key=f"phrase-removed:{phrase_id}",
            kind="phrase_removed",
            text=notice,
            now=now,
        )
    return Words(words, partner.first_name)


@dataclass(frozen=True)
class Overview:
    partner_name: str
    couple_id: int
    hear: list[str]
    hear_pending: list[str]  # asked for by me, waiting for the partner
    hear_offered: list[str]  # offered by the partner, waiting for my answer
    say: list[str]
    say_pending: list[str]  # asked for by the partner, waiting for my answer
    say_offered: list[str]  # offered by me, waiting for the partner
    removable: list[tuple[int, str]]


async def overview(session: AsyncSession, person: Person) -> Overview | Refusal:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    rows = list(
        await session.scalars(
            select(Phrase)
            .where(Phrase.couple_id == person.couple_id)
            .order_by(Phrase.created_at, Phrase.id)
        )
    )
    mine = [p for p in rows if p.receiver_id == person.id]
    theirs = [p for p in rows if p.giver_id == person.id]

    def texts_of(phrases: list[Phrase], status: str) -> list[str]:
        return [p.text for p in phrases if p.status == status]

    return Overview(
        partner_name=partner.first_name,
        couple_id=person.couple_id,
        hear=texts_of(mine, AGREED),
        hear_pending=texts_of(mine, PROPOSED),
        hear_offered=texts_of(mine, OFFERED),
        say=texts_of(theirs, AGREED),
        say_pending=texts_of(theirs, PROPOSED),
        say_offered=texts_of(theirs, OFFERED),
        removable=[(p.id, p.text) for p in rows if _removable_by(p, person)],
    )


async def ask_by_typing(
    session: AsyncSession, person: Person, couple_id: int, as_receiver: bool, now: datetime
) -> Refusal | None:
    """From the /phrases menu: the next text becomes a proposal (or an offer)."""
    if person.couple_id is None or person.couple_id != couple_id:
        return Refusal.STALE
    await_reply(person, AWAIT_PROPOSE if as_receiver else AWAIT_OFFER, None, now)
    return None
