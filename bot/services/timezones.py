"""/timezone: rituals follow each partner's own local time, by IANA zone name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Person
from bot.services import dates, pairing, rituals
from bot.services.schedule import ZoneChoice, choose_zone, local_now


@dataclass(frozen=True)
class ZoneSet:
    zone: str
    local: datetime


async def set_zone(
    session: AsyncSession, person: Person, text: str, now: datetime
) -> ZoneSet | ZoneChoice:
    """Set the zone named by `text`; or, if it isn't a zone, say why (fixed offset) or offer the
    closest names. Every ritual slot of the person is rescheduled at once."""
    choice = choose_zone(text)
    if choice.zone is None:
        return choice
    first = person.timezone is None
    person.timezone = choice.zone
    await rituals.reschedule_person(session, person, now)
    await dates.reschedule_person(session, person, now)
    if first and person.couple_id is not None:  # the guided first minute's next step
        await pairing.suggest_rituals(session, person, person.couple_id, now)
    return ZoneSet(choice.zone, local_now(now, choice.zone))
