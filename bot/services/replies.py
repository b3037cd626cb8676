"""Answering warmth: every message that carries the partner's words or presence has 💛 (a
tap-back, once per message) and ✍️ Reply (the next text goes back as the person's own); free
text typed soon after such a message is not refused but offered: "Send this to Sam?".

Everything goes to the partner through outbox.tell_partner: tied to the couple, counted by the
relay limit, silent in quiet hours, held by a pause."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import Delivery, Draft, Person
from bot.services import limits, outbox
from bot.services.common import Refusal, Rejected, TooLong, clean_text
from bot.services.people import await_reply, partner_of

AWAIT_REPLY = "warm_reply"
REPLY_KIND = "warm_reply"
TAPBACK_KIND = "tapback"
REPLY_MAX_CHARS = 3500  # framed ("From Alex: …"), it must still fit one Telegram message
# Free text this soon after the partner's words is probably an answer to them: it is offered
# ("Send this to Sam?"), never sent unasked. The same hour a typed reply stays armed.
DRAFT_WINDOW = timedelta(hours=1)

# The outbox kinds that carry the partner's words or presence, and so can be answered. A
# tap-back itself is not among them: 💛 for a 💛 would never end.
WARM_KINDS = frozenset(
    {
        "nudge",  # a note chosen or written at nudge time
        "nudge_letter",  # a note written ahead
        "reassure_reply",  # 💛 I'm here, 📞, 🕐 and written replies to a reassurance request
        "checkin_shared",
        "checkin_low",  # a check-in at 1 or 2 (bot/services/comfort.py)
        "journal",
        "trigger_shared",  # a shared I-statement
        "reconnect_wish",
        REPLY_KIND,
        "comfort",  # a hug, "I'll call" (bot/services/comfort.py)
        "okay_now",
    }
)


def warm_buttons(delivery_id: int) -> Buttons:
    """💛 and ✍️ Reply, naming the message they answer."""
    return [
        [
            (texts.TAPBACK_BUTTON, callbacks.pack(callbacks.WARMTH, "h", delivery_id)),
            (texts.WARM_REPLY_BUTTON, callbacks.pack(callbacks.WARMTH, "r", delivery_id)),
        ]
    ]


async def tap_back(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime
) -> str | Refusal:
    """💛: the partner hears "Alex sent 💛 back", once for this message. Returns their name."""
    return await outbox.tell_partner_once(
        session,
        person,
        delivery_id,
        tapped_kind=WARM_KINDS,
        key_prefix="tapback",
        kind=TAPBACK_KIND,
        text=texts.tapped_back(person.first_name),
        now=now,
    )


async def start_reply(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime, kinds: frozenset[str]
) -> str | Refusal:
    """✍️ Reply (or ✍️ Write): the next text goes to the partner as theirs. Returns the
    partner's name."""
    partner = await outbox.tapped(session, person, delivery_id, kinds)
    if partner is None:
        return Refusal.STALE
    await_reply(person, AWAIT_REPLY, delivery_id, now)
    return partner.first_name


async def send_reply(
    session: AsyncSession, person: Person, delivery_id: int, raw: str, now: datetime
) -> str | Rejected:
    """The text typed after ✍️ Reply. Returns the partner's name."""
    partner = await outbox.tapped(session, person, delivery_id, WARM_KINDS)
    if partner is None:
        return Refusal.STALE
    words = clean_text(raw)
    if not words:
        return Refusal.EMPTY
    if len(words) > REPLY_MAX_CHARS:
        await_reply(person, AWAIT_REPLY, delivery_id, now)  # let them send a shorter one
        return TooLong(len(words), REPLY_MAX_CHARS)
    await _relay(session, person, partner, outbox.unique_key(f"reply:{delivery_id}"), words, now)
    return partner.first_name


async def _relay(
    session: AsyncSession, person: Person, partner: Person, key: str, words: str, now: datetime
) -> None:
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=key,
        kind=REPLY_KIND,
        text=texts.from_partner(person.first_name, words),
        buttons_for=warm_buttons,  # an answer can be answered in turn
        now=now,
    )


# --- free text after the partner's words: "Send this to Sam?" --------------------------------


@dataclass(frozen=True)
class Drafted:
    partner_name: str
    draft_id: int


@dataclass(frozen=True)
class Blocked:
    """Past the hour's relay share: nothing is kept; the person hears when it lifts."""

    partner_name: str
    until: datetime


async def draft(
    session: AsyncSession, person: Person, raw: str, now: datetime
) -> Drafted | Blocked | TooLong | None:
    """Text typed with nothing armed: if the partner's words reached `person` within
    DRAFT_WINDOW, keep it and offer to send it (a newer draft replaces an older one). None: it
    is not an answer to anything."""
    partner = await partner_of(session, person)
    words = clean_text(raw)
    if partner is None or person.couple_id is None or not words:
        return None
    recent = await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.recipient_id == person.id,
            Delivery.couple_id == person.couple_id,
            # The partner's words, or a pause's bundle of them.
            Delivery.kind.in_(WARM_KINDS | {"pause_bundle"}),
            Delivery.status == "sent",
            Delivery.sent_at >= now - DRAFT_WINDOW,
        )
        .limit(1)
    )
    if recent is None:
        return None
    until = await limits.relay_blocked(session, person, now)
    if until is not None:
        return Blocked(partner.first_name, until)
    if len(words) > REPLY_MAX_CHARS:
        return TooLong(len(words), REPLY_MAX_CHARS)
    # Words nobody sent or kept are not kept past their hour (anyone's: the table stays tiny).
    await session.execute(
        delete(Draft).where(
            or_(Draft.person_id == person.id, Draft.created_at < now - DRAFT_WINDOW)
        )
    )
    kept = Draft(person_id=person.id, couple_id=person.couple_id, text=words, created_at=now)
    session.add(kept)
    await session.flush()
    return Drafted(partner.first_name, kept.id)


def draft_buttons(draft_id: int, partner: str) -> Buttons:
    return [
        [
            (texts.send_draft_button(partner), callbacks.pack(callbacks.WARMTH, "s", draft_id)),
            (texts.KEEP_DRAFT_BUTTON, callbacks.pack(callbacks.WARMTH, "k", draft_id)),
        ]
    ]


@dataclass(frozen=True)
class Settled:
    partner_name: str
    sent: bool


async def settle_draft(
    session: AsyncSession, person: Person, draft_id: int, send: bool, now: datetime
) -> Settled | Refusal:
    """Send the draft to the partner as the person's own words, or keep it (nothing is sent).
    Either way it is gone: a second tap finds nothing."""
    kept = await session.get(Draft, draft_id)
    partner = await partner_of(session, person)
    if (
        kept is None
        or partner is None
        or kept.person_id != person.id
        or kept.couple_id != person.couple_id
        or now - kept.created_at > DRAFT_WINDOW
    ):
        return Refusal.STALE
    await session.delete(kept)
    if send:
        await _relay(session, person, partner, f"draft:{kept.id}", kept.text, now)
    return Settled(partner.first_name, send)
