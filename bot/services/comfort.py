"""Answering a hard moment. A check-in at 1 or 2 reaches the partner with one-tap ways to
respond — 💛 Send a hug (delivered as theirs), 📞 I'll call, ✍️ Write — and nothing more: no
alert, no reminder, each answer once. After breathing or grounding, the person is offered one
button to tell the partner "I'm okay now": optional, and not offered again for a while."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import Delivery, Person
from bot.services import outbox, replies
from bot.services.common import Refusal
from bot.services.people import partner_of

LOW_MOODS = frozenset({1, 2})
LOW_KIND = "checkin_low"  # the partner's copy of a check-in at 1 or 2
ANSWER_KIND = "comfort"  # a hug or "I'll call", from the partner
OFFER_KIND = "okay_offer"  # "let Sam know you're okay?", to the person who soothed
OKAY_KIND = "okay_now"
# One hard moment may take a breathing and a grounding; the offer comes once in it.
OFFER_EVERY = timedelta(hours=3)


def low_checkin_buttons(delivery_id: int) -> Buttons:
    def button(label: str, action: str) -> tuple[str, str]:
        return (label, callbacks.pack(callbacks.COMFORT, action, delivery_id))

    return [
        [button(texts.HUG_BUTTON, "g"), button(texts.CALL_BUTTON, "c")],
        [button(texts.WRITE_BUTTON, "w")],
    ]


async def answer(
    session: AsyncSession, person: Person, delivery_id: int, action: str, now: datetime
) -> str | Refusal:
    """💛 Send a hug ("g") or 📞 I'll call ("c") under a partner's low check-in: it reaches them
    as the person's own, once each. Returns the partner's name."""
    words = {"g": texts.hug_from, "c": texts.will_call}.get(action)
    partner = await outbox.tapped(session, person, delivery_id, LOW_KIND)
    if partner is None or words is None:
        return Refusal.STALE
    sent = await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"comfort:{delivery_id}:{action}",
        kind=ANSWER_KIND,
        text=words(person.first_name),
        buttons_for=replies.warm_buttons,
        now=now,
    )
    return partner.first_name if sent else Refusal.ALREADY_ANSWERED


async def start_writing(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime
) -> str | Refusal:
    """✍️ Write: as ✍️ Reply, but only under a low check-in."""
    return await replies.start_reply(session, person, delivery_id, now, frozenset({LOW_KIND}))


async def offer_okay(session: AsyncSession, person: Person, now: datetime) -> bool:
    """After breathing or grounding: queue the one-button offer to tell the partner — unless
    the person is unpaired, or was offered it within OFFER_EVERY (never prompted twice)."""
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return False
    offered = await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.recipient_id == person.id,
            Delivery.kind == OFFER_KIND,
            Delivery.created_at > now - OFFER_EVERY,
        )
        .limit(1)
    )
    if offered is not None:
        return False
    row = await outbox.enqueue(
        session,
        key=outbox.unique_key(f"okay-offer:{person.id}"),
        recipient=person,
        kind=OFFER_KIND,
        text=texts.okay_offer(partner.first_name),
        buttons_for=lambda row: [
            [(texts.OKAY_BUTTON, callbacks.pack(callbacks.COMFORT, "o", row))]
        ],
        couple_id=person.couple_id,
        priority=outbox.Priority.REPLY,
        now=now,
    )
    return row is not None


async def okay_now(
    session: AsyncSession, person: Person, delivery_id: int, now: datetime
) -> str | Refusal:
    """ "I'm okay now" on the offer: the partner hears it, once. Returns their name."""
    return await outbox.tell_partner_once(
        session,
        person,
        delivery_id,
        tapped_kind=OFFER_KIND,
        key_prefix="okay",
        kind=OKAY_KIND,
        text=texts.okay_now(person.first_name),
        buttons_for=replies.warm_buttons,
        now=now,
    )


async def offer_okay_in_chat(session: AsyncSession, chat_id: int, now: datetime) -> bool:
    """offer_okay for the person whose private chat a breathing run was in."""
    person = await session.scalar(select(Person).where(Person.chat_id == chat_id).limit(1))
    return person is not None and await offer_okay(session, person, now)
