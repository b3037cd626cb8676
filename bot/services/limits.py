"""Limits that keep Steady from being used against someone: invite codes tried per hour (codes
are 128-bit, but guessing should also be slow), and messages relayed to a partner per hour (so
the bot can't be turned into a way to flood them). Both answer kindly, with when it lifts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Delivery, Person

WINDOW = timedelta(hours=1)
JOINS_PER_HOUR = 5
RELAYS_PER_HOUR = 30


# Asked on every relay and every tap: built once (see bot/services/people.py); a tap reads it
# with its other facts (bot/services/reassurance.py).
RELAYED = (
    select(func.count())
    .select_from(Delivery)
    .where(Delivery.sender_id == bindparam("sender_id"), Delivery.created_at > bindparam("since"))
)


def join_blocked(person: Person, now: datetime) -> datetime | None:
    """Until when this person may not try another invite code, if they've used up the hour."""
    if person.join_window_until is None or now >= person.join_window_until:
        return None
    return person.join_window_until if person.join_attempts >= JOINS_PER_HOUR else None


def count_join(person: Person, now: datetime) -> None:
    """One more code tried that did not pair them."""
    if person.join_window_until is None or now >= person.join_window_until:
        person.join_attempts = 0
        person.join_window_until = now + WINDOW
    person.join_attempts += 1


def relayed_params(person: Person, now: datetime) -> dict[str, Any]:
    return {"sender_id": person.id, "since": now - WINDOW}


async def relay_blocked(
    session: AsyncSession, person: Person, now: datetime, relayed: int | None = None
) -> datetime | None:
    """Until when this person's messages to their partner wait, if they've sent the hour's
    share: the moment the oldest of the last RELAYS_PER_HOUR leaves the window. `relayed`: the
    hour's count (RELAYED), if the caller has read it already."""
    if relayed is None:
        relayed = await session.scalar(RELAYED, relayed_params(person, now))
    if int(relayed or 0) < RELAYS_PER_HOUR:
        return None
    since = now - WINDOW
    oldest = await session.scalar(
        select(Delivery.created_at)
        .where(Delivery.sender_id == person.id, Delivery.created_at > since)
        .order_by(Delivery.created_at.desc())
        .offset(RELAYS_PER_HOUR - 1)
        .limit(1)
    )
    return (oldest or now) + WINDOW
