"""`python -m bot stats`: how the bot is doing, for the person running it — counts only, no one's
words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Delivery, Person, Ritual
from bot.services.rituals import DIGEST

DAY = timedelta(hours=24)


@dataclass(frozen=True)
class Stats:
    couples: int
    people: int
    rituals: int  # active ones the couples set up (not the hidden weekly digest)
    deliveries: dict[str, int]  # created in the last 24 hours, by outcome


async def gather(session: AsyncSession, now: datetime) -> Stats:
    async def count(query: Select[Any]) -> int:
        return int(await session.scalar(query) or 0)

    by_status = await session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.created_at > now - DAY)
        .group_by(Delivery.status)
    )
    return Stats(
        couples=await count(  # paired now: a couple whose partners are both still in it
            select(func.count(Person.couple_id.distinct())).where(Person.couple_id.is_not(None))
        ),
        people=await count(select(func.count()).select_from(Person)),
        rituals=await count(
            select(func.count())
            .select_from(Ritual)
            .where(Ritual.paused.is_(False), Ritual.kind != DIGEST)
        ),
        deliveries={status: int(n) for status, n in by_status.all()},
    )
