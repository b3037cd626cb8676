"""Every 4 weeks, at the talk time (or the digest's, without a talk): "Do these rituals still
work for you both?" — the list, and Keep / Change. Rituals are agreements; this keeps them
chosen rather than inherited."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import Delivery, Person
from bot.services import outbox
from bot.services.common import Refusal

EVERY = timedelta(weeks=4)


def cycle(paired_at: datetime, occurrence: datetime) -> int:
    """Which 4-week stretch since pairing `occurrence` falls in; 0 is the first (no review)."""
    return max((occurrence - paired_at) // EVERY, 0)


def buttons(delivery_id: int) -> Buttons:
    return [
        [
            (texts.REVIEW_KEEP, callbacks.pack(callbacks.REVIEW, "k", delivery_id)),
            (texts.REVIEW_CHANGE, callbacks.pack(callbacks.REVIEW, "c", delivery_id)),
        ]
    ]


async def answer(
    session: AsyncSession, person: Person, delivery_id: int, keep: bool, now: datetime
) -> bool | Refusal:
    """Keep or Change: the partner hears which, once (the first answer counts); on Change the
    caller shows the rituals menu. Returns whether anything was sent."""
    partner = await outbox.tapped(session, person, delivery_id, "review")
    if partner is None:
        return Refusal.STALE
    # Both are asked at the same moment; each one's answer goes to the other, once per review —
    # if the partner was asked too: their review may have been skipped (past its grace in their
    # quiet hours, then it comes at a later talk), and an answer to a question they never saw
    # is not news for them.
    if not await _partner_asked(session, delivery_id, partner):
        return False
    sent = await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"review-answered:{delivery_id}",
        kind="review_kept",
        text=(texts.review_kept_by if keep else texts.review_changed_by)(person.first_name),
        now=now,
    )
    return sent is not None


async def _partner_asked(session: AsyncSession, delivery_id: int, partner: Person) -> bool:
    """Whether the partner got this review too: theirs, not skipped, within one cycle of it."""
    mine = await session.get(Delivery, delivery_id)
    if mine is None or mine.occurrence_at is None:
        return False
    theirs = await session.scalar(
        select(Delivery.id).where(
            Delivery.recipient_id == partner.id,
            Delivery.kind == mine.kind,
            Delivery.status != "skipped",
            Delivery.occurrence_at > mine.occurrence_at - EVERY,
            Delivery.occurrence_at < mine.occurrence_at + EVERY,
        )
    )
    return theirs is not None
