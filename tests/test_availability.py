"""Availability: "busy until 17:00 — that's about work, not about you". Busy explains a slow
reply; it never holds back the agreed words, and it ends by itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import texts
from bot.db.models import Person
from tests.harness import Steady
from tests.stories import agree_phrase, pair
from tests.test_pause import zones


async def test_busy_is_seen_in_status_and_explained_when_the_partner_asks(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam, zone="Europe/Berlin")
    await agree_phrase(sam, alex, "I love you, even on busy days.")
    await alex.send("/busy 17:00 work")
    await alex.expect("You're busy until 17:00 — “work”.")
    await sam.send("/status")
    status = await sam.expect("It's")
    assert "Alex is busy until 17:00 (your time) — “work”." in status.shown
    await sam.tap(texts.REASSURE_BUTTON)
    words = await sam.expect("💛 From Alex")
    # The words come at once, and the slow reply is explained before it can hurt.
    assert "“I love you, even on busy days.”" in words.shown
    assert words.shown.endswith(
        "Alex is busy until 17:00 (your time) — “work”; it's about that, not about you."
    )
    await alex.expect("Sam asked for reassurance just now")


async def test_busy_until_tomorrow_says_your_time_and_the_day_and_quotes_the_reason(
    steady: Steady,
) -> None:
    """Alex is in Tokyo (18:00 on Monday), Sam in Berlin (10:00). Alex is busy until 17:00 —
    tomorrow on both clocks — at the gym: Sam reads the time on her own clock, with the day, and
    Alex's reason in Alex's words, never spliced into a sentence of ours."""
    alex, sam = await pair(steady)
    await zones(alex, zone="Asia/Tokyo")
    await zones(sam, zone="Europe/Berlin")
    await alex.send("/busy 17:00 at the gym")
    await alex.expect("You're busy until 17:00 tomorrow — “at the gym”.")
    await sam.tap(texts.REASSURE_BUTTON)
    words = await sam.expect("There are no agreed words from Alex yet")
    assert words.shown.endswith(
        "Alex is busy until 09:00 (your time, tomorrow) — “at the gym”; it's about that, not "
        "about you."
    )
    await sam.send("/status")
    status = await sam.expect("It's")
    assert "Alex is busy until 09:00 (your time, tomorrow) — “at the gym”." in status.shown
    await alex.send("/status")
    own = await alex.expect("It's")
    assert "You're busy until 17:00 tomorrow — “at the gym”." in own.shown
    # By Tuesday morning it is today's 09:00 on Sam's clock: no day is said.
    await steady.advance(timedelta(hours=22))
    await sam.send("/status")
    later = await sam.expect("It's")
    assert "Alex is busy until 09:00 (your time) — “at the gym”." in later.shown


async def test_busy_for_a_length_ends_by_itself(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/busy 2h")
    await alex.expect("You're busy until 11:00 UTC.")
    await sam.tap(texts.REASSURE_BUTTON)
    words = await sam.expect("There are no agreed words from Alex yet")
    assert "Alex is busy until 11:00 UTC — it's about their day, not about you." in words.shown
    await steady.advance(timedelta(hours=2, minutes=1))
    await sam.tap(texts.REASSURE_BUTTON)
    later = await sam.expect("There are no agreed words from Alex yet")
    assert "busy" not in later.shown
    await sam.send("/status")
    status = await sam.expect("rituals")
    assert "busy" not in status.shown


async def test_available_clears_busy(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    await alex.send("/busy 45m on a call")
    await alex.expect("You're busy until 09:45 UTC — “on a call”.")
    await alex.send("/available")
    await alex.expect(texts.AVAILABLE)
    await alex.send("/available")
    await alex.expect(texts.NOT_BUSY)


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/busy", "Send /busy with a time or a length"),
        ("/busy soon", "Send /busy with a time or a length"),
        ("/busy 0m", "Send /busy with a time or a length"),
        ("/busy 25h", "Busy can last up to 24 hours"),
        ("/busy 17:00 work", "set your time zone first"),
        ("/busy 2h " + "x" * 130, "That's 130 characters"),
    ],
)
async def test_bad_busy_input_gets_a_correction_and_changes_nothing(
    steady: Steady, command: str, reply: str
) -> None:
    alex, _sam = await pair(steady)
    await alex.send(command)
    await alex.expect(reply)
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(Person.busy_until).where(Person.id == 1)) is None
