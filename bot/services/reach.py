"""Whether Telegram can reach a person. When it can't (they blocked the bot, their chat is
gone), their rituals wait and their partner is told once, neutrally; when they are back, the
rituals resume and the partner hears that too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.models import Person
from bot.services import outbox, rituals
from bot.services.people import partner_of


async def unreachable(session: AsyncSession, person: Person, now: datetime) -> None:
    if person.unreachable_since is not None:
        return  # already known: the partner was told once
    person.unreachable_since = now
    await rituals.reschedule_person(session, person, now)
    partner = await partner_of(session, person)
    if partner is not None:
        await outbox.enqueue(
            session,
            key=outbox.unique_key(f"unreachable:{person.id}"),
            recipient=partner,
            kind="reach_notice",
            text=texts.partner_unreachable(person.first_name),
            couple_id=person.couple_id,
            now=now,
        )


async def reachable(session: AsyncSession, person: Person, now: datetime) -> None:
    if person.unreachable_since is None:
        return
    person.unreachable_since = None
    await rituals.reschedule_person(session, person, now)
    partner = await partner_of(session, person)
    if partner is not None:
        await outbox.enqueue(
            session,
            key=outbox.unique_key(f"reachable:{person.id}"),
            recipient=partner,
            kind="reach_notice",
            text=texts.partner_reachable(person.first_name),
            couple_id=person.couple_id,
            now=now,
        )
