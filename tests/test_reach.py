"""Telegram's my_chat_member updates: a partner who blocks the bot has their rituals wait, and
the other partner is told neutrally — once; unblocking resumes both."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot import texts
from bot.db.models import Person, RitualSlot
from tests.harness import Steady
from tests.stories import pair
from tests.test_pause import zones


async def alex_slots(steady: Steady) -> list[datetime | None]:
    async with steady.rt.db.transaction() as session:
        rows = await session.scalars(
            select(RitualSlot.next_due_at)
            .join(Person, Person.id == RitualSlot.person_id)
            .where(Person.first_name == "Alex")
        )
        return list(rows)


async def test_blocking_the_bot_pauses_rituals_and_tells_the_partner_once(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await alex.send("/ritual add checkin 12:30 daily")
    await alex.expect("Added:")
    assert all(at is not None for at in await alex_slots(steady))
    await alex.block()
    await sam.expect(texts.partner_unreachable("Alex"))
    await alex.block()  # Telegram may repeat itself: the partner is not told twice
    await steady.settle()
    assert not [m for m in sam.unread if "can't reach" in m.shown]
    assert await alex_slots(steady) == [None, None]  # the check-in and the weekly digest wait
    await steady.advance_to(datetime(2026, 3, 2, 12, 30, tzinfo=UTC))
    assert [m for m in sam.unread if texts.CHECKIN_PROMPT in m.shown]
    assert not [m for m in alex.chat.messages if texts.CHECKIN_PROMPT in (m.text or "")]
    await alex.unblock()
    await sam.expect(texts.partner_reachable("Alex"))
    assert all(at is not None for at in await alex_slots(steady))


async def test_someone_who_never_talked_to_the_bot_is_ignored(steady: Steady) -> None:
    stranger = steady.user("Kim")
    await stranger.block()
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(Person.id)) is None
    assert not steady.errors.records
