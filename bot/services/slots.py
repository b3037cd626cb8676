"""The step every slot engine shares (rituals, dates' reminders): find the slots due by now,
locked so two dispatchers never take the same one, and the two people a slot is for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person, Slot
from bot.services.people import partner_of

S = TypeVar("S", bound=Slot)
Owner = TypeVar("Owner")


async def due(
    session: AsyncSession,
    slot: type[S],
    owner: type[Owner],
    on: ColumnElement[bool],
    now: datetime,
    limit: int,
) -> Sequence[tuple[S, Owner]]:
    """Up to `limit` slots due by `now`, earliest first, each with what it belongs to (`owner`,
    joined `on`). Rows another dispatcher holds are skipped, not waited for."""
    rows = await session.execute(
        select(slot, owner)
        .join(owner, on)
        .where(slot.next_due_at <= now)
        .order_by(slot.next_due_at, slot.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=slot)
    )
    return [(found, of) for found, of in rows]


async def people(session: AsyncSession, slot: Slot, couple_id: int) -> tuple[Person, Person] | None:
    """The slot's person and their partner — or None if the slot is for nobody now (gone,
    unpaired, or in another couple); it then waits (next_due_at NULL) until rescheduled."""
    person = await session.get(Person, slot.person_id)
    partner = await partner_of(session, person) if person is not None else None
    if person is None or partner is None or person.couple_id != couple_id:
        slot.next_due_at = None
        return None
    return person, partner
