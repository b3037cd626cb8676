"""Steps many user stories share, written as the people would take them."""

from __future__ import annotations

import re

from bot import texts
from tests.faketelegram import FakeUser
from tests.harness import Steady

LINK = re.compile(r"https://t\.me/\S+\?start=(\S+)")


async def invite(user: FakeUser) -> tuple[str, str]:
    """`user` asks for an invite; returns (link, token)."""
    await user.send("/pair")
    message = await user.expect("Here's your invite")
    match = LINK.search(message.shown)
    assert match, message.shown
    return match.group(0), match.group(1)


async def pair(
    steady: Steady, first: str = "Alex", second: str = "Sam"
) -> tuple[FakeUser, FakeUser]:
    """Two people meet the bot and pair through an invite link."""
    a, b = steady.user(first), steady.user(second)
    await a.start()
    await a.expect("Steady helps")
    link, _ = await invite(a)
    await b.open_link(link)
    await b.expect(f"You're paired with {first}")
    await a.expect(f"You're paired with {second}")
    # Then comes the time zone question (the starter rituals follow the zone); stories begin
    # after it.
    await steady.settle()
    a.mark_read()
    b.mark_read()
    return a, b


async def agree_phrase(receiver: FakeUser, giver: FakeUser, words: str) -> None:
    """The receiver asks for `words`; the giver agrees."""
    await receiver.send(f"/phrase {words}")
    await receiver.expect("Sent to")
    ask = await giver.expect(words)
    await giver.press(texts.AGREE_BUTTON, ask)
    await receiver.expect(f"agreed to say:\n“{words}”")
