"""One tap on "💛 Reassure me": the requester gets one of the partner's agreed phrases at once
(the partner need not be awake), and the partner is told, with one-tap ways to follow up."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.base import table_of
from bot.db.models import Delivery, Person, Phrase, ReassuranceRequest
from bot.services import agreements, balance, limits, outbox, pause, replies, voice
from bot.services.availability import note_for
from bot.services.common import Refusal, Rejected, TooLong, clean_text
from bot.services.people import PARTNER, await_reply
from bot.services.phrases import AGREED
from bot.services.schedule import wall_time

AWAIT_WRITE_BACK = "write_back"
# A written reply is framed ("From Alex: …") and must still fit one Telegram message.
WRITE_BACK_MAX_CHARS = 3500
QUICK_REPLIES = tuple(texts.REPLY_LABELS)  # h, c, t


@dataclass(frozen=True)
class Asked:
    partner_name: str
    words: str | None  # None: no agreed phrases yet
    request_id: int
    words_row: int  # the outbox row with the words
    # Past the couple's agreed balance: the words wait a minute (or a tap) in their row, and a
    # breathing minute is offered first; otherwise they are sent at once.
    held: bool = False


# A tap's statements, built once (see bot/services/people.py). Everything it reads comes in one
# statement — each is a trip to the database and back, and 50 taps at once wait on each other's:
# the partner, one row per agreed phrase (or one row without), the phrase sent last time, the
# balance the couple agreed (if any) and the messages relayed this hour.
_LAST_PHRASE = (
    select(ReassuranceRequest.phrase_id)
    .where(ReassuranceRequest.requester_id == bindparam("person_id"))
    .order_by(ReassuranceRequest.id.desc())
    .limit(1)
    .scalar_subquery()
)
_READ = (
    PARTNER.add_columns(
        Phrase,
        _LAST_PHRASE,
        agreements.AGREED_VALUE.scalar_subquery(),
        limits.RELAYED.scalar_subquery(),
    )
    .outerjoin(
        Phrase,
        and_(
            Phrase.couple_id == Person.couple_id,
            Phrase.receiver_id == bindparam("person_id"),
            Phrase.status == AGREED,
        ),
    )
    .order_by(Phrase.id)
)
_REQUESTS = table_of(ReassuranceRequest)
_ASK = insert(_REQUESTS).returning(_REQUESTS.c.id)  # a plain INSERT: cheaper than a flush


def reply_buttons(request_id: int) -> Buttons:
    def button(label: str, action: str) -> tuple[str, str]:
        return (label, callbacks.pack(callbacks.REPLY, action, request_id))

    return [
        [button(texts.REPLY_HERE, "h"), button(texts.REPLY_CALL, "c")],
        [button(texts.REPLY_TONIGHT, "t"), button(texts.REPLY_WRITE, "w")],
    ]


def soothing_buttons() -> Buttons:
    """🌬 Breathe and 🌿 Ground, under the words' message when there are no words yet."""
    return [
        [
            (texts.BREATHE_BUTTON, callbacks.pack(callbacks.BREATHE, "g")),
            (texts.GROUND_BUTTON, callbacks.pack(callbacks.GROUND, "s")),
        ]
    ]


def offer_words_button(couple_id: int) -> list[tuple[str, str]]:
    """The /phrases menu's "Offer words", for the partner of someone who asked with none agreed."""
    return [(texts.OFFER_BUTTON, callbacks.pack(callbacks.PHRASES_MENU, "off", couple_id))]


async def _never_asked_without_words(session: AsyncSession, person: Person) -> bool:
    """True until this person has once asked, in this couple, while there were no words: the
    partner is nudged to agree some only that first time."""
    earlier = await session.scalar(
        select(ReassuranceRequest.id)
        .where(
            ReassuranceRequest.requester_id == person.id,
            ReassuranceRequest.couple_id == person.couple_id,
            ReassuranceRequest.phrase_id.is_(None),
        )
        .limit(1)
    )
    return earlier is None


def choose(phrases: list[Phrase], last_id: int | None, rng: random.Random) -> Phrase:
    """Any agreed phrase but the one sent last time, while there are others."""
    others = [p for p in phrases if p.id != last_id]
    return rng.choice(others or phrases)


async def request(
    session: AsyncSession, person: Person, now: datetime, rng: random.Random
) -> Asked | Refusal:
    """The words' outbox row (first in line, for the caller to send the moment this commits)
    and the partner's notice."""
    if person.couple_id is None:
        return Refusal.NOT_PAIRED
    rows = (
        await session.execute(
            _READ,
            {"person_id": person.id}
            | agreements.agreed_params(person.couple_id, agreements.BALANCE)
            | limits.relayed_params(person, now),
        )
    ).all()
    if not rows:  # no partner
        return Refusal.NOT_PAIRED
    partner, _, last_id, agreed_balance, relayed = rows[0]
    agreed = [row[1] for row in rows if row[1] is not None]
    phrase = choose(agreed, last_id, rng) if agreed else None
    breathe_first = await balance.beyond(session, person, now, agreed_balance)
    if breathe_first:
        # One set of words per breathing minute, however many taps come meanwhile: the offer
        # again, for the words already waiting (no second request, no second notice).
        waiting = await balance.waiting_words(session, person, now)
        if waiting is not None:
            return Asked(partner.first_name, phrase.text if phrase else None, 0, waiting, True)
    first_without_words = phrase is None and await _never_asked_without_words(session, person)
    asked_id = await session.scalar(
        _ASK,
        {
            "couple_id": person.couple_id,
            "requester_id": person.id,
            "partner_id": partner.id,
            "phrase_id": phrase.id if phrase else None,
            "created_at": now,
        },
    )
    assert asked_id is not None
    # The words go through the outbox too: they and the partner's "they received your words"
    # are committed together, and both are sent with the delivery path's retries.
    recording = voice.of_phrase(phrase) if phrase else None
    if phrase is None:
        words = texts.reassurance_no_words(partner.first_name)
    elif recording is not None:  # their own voice, sent by its file_id, with this as caption
        words = texts.recording_words(partner.first_name, phrase.text)
    else:
        words = texts.reassurance_words(partner.first_name, phrase.text)
    # With no words yet, the same message offers something soothing right away.
    soothing = None if phrase else soothing_buttons()
    # Why the partner may be slow to follow up, said before it can be felt as rejection.
    notes = [n for n in (_pause_note(partner, person, now), note_for(partner, person, now)) if n]
    words_id = await outbox.enqueue(
        session,
        key=f"words:{asked_id}",
        recipient=person,
        kind="reassure_words",
        text="\n\n".join([words, *notes]),
        couple_id=person.couple_id,
        due_at=now + balance.BREATHE_FIRST_WAIT if breathe_first else now,
        now=now,
        priority=outbox.Priority.WORDS,
        buttons=soothing,
        media=voice.media(recording),
    )
    assert words_id is not None  # its key names the request just made, so it is new
    partner_paused = pause.active_until(partner, now) is not None
    notice_due = now
    buttons = reply_buttons(asked_id)
    if phrase is None:
        notice = texts.reassurance_asked_no_words(person.first_name)
        if first_without_words:  # nudged once to agree some words, with the way to do it
            notice += "\n\n" + texts.nudge_to_agree_words(person.first_name)
            buttons = [*buttons, offer_words_button(person.couple_id)]
    elif not breathe_first:
        notice = texts.reassurance_asked_with_words(person.first_name, phrase.text)
    elif partner_paused:  # read when their moment ends, long after the words arrived
        notice = texts.reassurance_asked_after_breathing(person.first_name, phrase.text)
    else:
        # The words wait their minute, and so does the partner's notice: it goes with them (or
        # when the person chooses, bot/services/balance.py) and says what happened then.
        notice = texts.reassurance_asked_breathing_offered(person.first_name, phrase.text)
        notice_due = now + balance.BREATHE_FIRST_WAIT
    if partner_paused:  # they read it when their moment ends
        notice = texts.asked_during_pause(notice)
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"asked:{asked_id}",
        kind="reassure_asked",
        text=notice,
        # The words always come; past the relay limit the partner's notices come without sound.
        silent=await limits.relay_blocked(session, person, now, relayed) is not None,
        buttons=buttons,
        due_at=notice_due,
        now=now,
    )
    return Asked(
        partner.first_name,
        phrase.text if phrase else None,
        asked_id,
        words_id,
        breathe_first,
    )


def _pause_note(partner: Person, person: Person, now: datetime) -> str | None:
    until = pause.active_until(partner, now)
    if until is None:
        return None
    return texts.partner_pausing_note(partner.first_name, wall_time(until, person.timezone))


@dataclass(frozen=True)
class Replied:
    requester_name: str
    label: str
    sent: bool  # False when this same quick reply had already gone (a double tap)
    replied: list[str]  # every quick reply sent for this request so far, without emoji


async def _own_request(
    session: AsyncSession, person: Person, request_id: int
) -> tuple[ReassuranceRequest, Person] | None:
    """The request, if the presser is the partner it was sent to, in their current couple."""
    if person.couple_id is None:
        return None
    asked = await session.get(ReassuranceRequest, request_id)
    if asked is None or asked.partner_id != person.id or asked.couple_id != person.couple_id:
        return None
    requester = await session.get(Person, asked.requester_id)
    if requester is None or requester.couple_id != person.couple_id:
        return None
    return asked, requester


async def quick_reply(
    session: AsyncSession, person: Person, request_id: int, action: str, now: datetime
) -> Replied | Refusal:
    found = await _own_request(session, person, request_id)
    if found is None or action not in QUICK_REPLIES:
        return Refusal.STALE
    asked, requester = found
    label = texts.REPLY_LABELS[action]
    sent = await outbox.tell_partner(
        session,
        person,
        requester,
        key=f"reply:{asked.id}:{action}",
        kind="reassure_reply",
        text=texts.from_partner(person.first_name, label),
        buttons_for=replies.warm_buttons,
        now=now,
    )
    done = set(
        await session.scalars(
            select(Delivery.dedupe_key).where(Delivery.dedupe_key.like(f"reply:{asked.id}:%"))
        )
    )
    replied = [plain for a, plain in texts.REPLY_PLAIN.items() if f"reply:{asked.id}:{a}" in done]
    return Replied(requester.first_name, label, sent is not None, replied)


async def start_write_back(
    session: AsyncSession, person: Person, request_id: int, now: datetime
) -> str | Refusal:
    """✍️ Write back: the partner's next text goes to the requester. Returns the requester's name."""
    found = await _own_request(session, person, request_id)
    if found is None:
        return Refusal.STALE
    asked, requester = found
    await_reply(person, AWAIT_WRITE_BACK, asked.id, now)
    return requester.first_name


async def write_back(
    session: AsyncSession, person: Person, request_id: int, raw: str, now: datetime
) -> str | Rejected:
    found = await _own_request(session, person, request_id)
    if found is None:
        return Refusal.STALE
    asked, requester = found
    words = clean_text(raw)
    if not words:
        return Refusal.EMPTY
    if len(words) > WRITE_BACK_MAX_CHARS:
        await_reply(person, AWAIT_WRITE_BACK, asked.id, now)  # let them send a shorter one
        return TooLong(len(words), WRITE_BACK_MAX_CHARS)
    await outbox.tell_partner(
        session,
        person,
        requester,
        key=outbox.unique_key(f"write:{asked.id}"),
        kind="reassure_reply",
        text=texts.from_partner(person.first_name, words),
        buttons_for=replies.warm_buttons,
        now=now,
    )
    return requester.first_name
