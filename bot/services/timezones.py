"""/timezone: rituals follow each partner's own local time, by IANA zone name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.models import Person
from bot.services import dates, outbox, pairing, rituals
from bot.services.schedule import ZoneChoice, choose_zone, local_now


@dataclass(frozen=True)
class ZoneSet:
    zone: str
    local: datetime
    queued: bool = False  # the confirmation is in the outbox, ahead of the starter set


async def set_zone(
    session: AsyncSession, person: Person, text: str, now: datetime, *, in_place: bool = False
) -> ZoneSet | ZoneChoice:
    """Set the zone named by `text`; or, if it isn't a zone, say why (fixed offset) or offer the
    closest names. Every ritual slot of the person is rescheduled at once.

    A first zone after pairing brings the starter set through the outbox. Its confirmation then
    goes through the outbox too, just ahead, so the chat reads in order — unless the caller
    shows it `in_place` (a pressed zone button's question becomes the confirmation)."""
    choice = choose_zone(text)
    if choice.zone is None:
        return choice
    first = person.timezone is None
    person.timezone = choice.zone
    local = local_now(now, choice.zone)
    couple = person.couple_id if first else None  # a first zone after pairing: the starter set
    queued = None
    if couple is not None and not in_place:  # first, ahead of what the zone brings
        queued = await outbox.enqueue(
            session,
            key=f"zone-set:{couple}:{person.id}",
            recipient=person,
            kind="zone_set",
            text=texts.timezone_set(choice.zone, texts.clock(local)),
            couple_id=couple,
            now=now,
        )
    await rituals.reschedule_person(session, person, now)
    await dates.reschedule_person(session, person, now)
    if couple is not None:  # the first minute's next step
        await pairing.suggest_rituals(session, person, couple, now)
    return ZoneSet(choice.zone, local, queued=queued is not None)
