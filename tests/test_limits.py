"""Limits that keep the bot from being used against someone: invite codes tried per person per
hour, and messages relayed to a partner per hour — each refused kindly, changing nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot import texts
from bot.db.models import JournalEntry
from bot.services.limits import JOINS_PER_HOUR, RELAYS_PER_HOUR
from tests.harness import Steady
from tests.stories import agree_phrase, invite, pair


async def test_invite_codes_tried_are_limited_per_hour(steady: Steady) -> None:
    alex, zoe = steady.user("Alex"), steady.user("Zoe")
    await alex.start()
    await zoe.start()
    link, _ = await invite(alex)
    for n in range(JOINS_PER_HOUR):
        await zoe.send(f"/join {'A' * 21}{n}")
        await zoe.expect(texts.INVITE_UNKNOWN)
    # Even the right link waits now; nothing is paired.
    await zoe.open_link(link)
    await zoe.expect("That's a lot of invite codes in an hour")
    limited = zoe.last.shown
    assert "until 10:00 UTC" in limited
    await steady.settle()
    assert not [m for m in alex.unread if "paired" in m.shown]
    await steady.advance(timedelta(hours=1))
    await zoe.open_link(link)
    await zoe.expect("You're paired with Alex")


async def test_relayed_messages_are_limited_per_hour_and_the_words_still_come(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm here.")
    await steady.advance(timedelta(hours=1))  # the phrase's own messages leave the window
    for n in range(RELAYS_PER_HOUR):
        await alex.send(f"/journal moment {n}")
        await alex.expect("Added to your journal")
    await alex.send("/journal one too many")
    await alex.expect("You've sent Sam a lot through me in the last hour, so I'll hold off until")
    async with steady.rt.db.transaction() as session:
        entries = await session.scalar(select(func.count()).select_from(JournalEntry))
    assert entries == RELAYS_PER_HOUR
    await alex.send("/journal")  # reading is not relaying
    await alex.expect("Your journal")
    # A tap on Reassure me still brings the words; Sam's notice comes without sound.
    sam.mark_read()
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("💛 From Sam")
    notice = await sam.expect("Alex asked for reassurance")
    assert notice.disable_notification
    await steady.advance(timedelta(hours=1))
    await alex.send("/journal back again")
    await alex.expect("Added to your journal")
