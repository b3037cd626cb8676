"""Time apart: the partner is told, date reminders wait, check-ins go on, and on the return day
both get a ritual to reconnect."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import texts
from bot.db.models import Delivery, Person
from tests.harness import Steady
from tests.stories import pair
from tests.test_pause import zones


async def test_time_apart_pauses_dates_not_check_ins_and_ends_with_a_reconnect(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam, zone="Europe/Berlin")
    await alex.send("/ritual add date 19:00 fri")
    await alex.expect("Added:")
    await alex.send("/ritual add checkin 12:30 daily")
    await alex.expect("Added:")
    await alex.send("/away 2026-03-10 visiting my sister")
    await alex.expect("Away until Tue 10 Mar. Date reminders wait until then; check-ins continue.")
    notice = await sam.expect("Alex is away until Tue 10 Mar (visiting my sister)")
    assert "check-ins continue" in notice.shown
    await sam.send("/status")
    assert "Alex is away until Tue 10 Mar." in (await sam.expect("It's")).shown

    # Friday: the check-in still comes; no date reminder for either.
    await steady.advance_to(datetime(2026, 3, 6, 11, 30, tzinfo=UTC))
    await sam.expect(texts.CHECKIN_PROMPT)
    await alex.expect(texts.CHECKIN_PROMPT)
    await steady.advance_to(datetime(2026, 3, 6, 18, 30, tzinfo=UTC))
    assert not [m for m in alex.inbox + sam.inbox if "plan something?" in m.shown]
    # Tuesday, the return day, 18:00 in Berlin: both are invited to reconnect.
    await steady.advance_to(datetime(2026, 3, 10, 16, 59, tzinfo=UTC))
    assert not [m for m in alex.unread if texts.RECONNECT in m.shown]
    await steady.advance_to(datetime(2026, 3, 10, 17, 0, tzinfo=UTC))
    invite = await alex.expect(texts.RECONNECT)
    await sam.expect(texts.RECONNECT)
    data = invite.button_data(texts.RECONNECT_YES)
    answer = await alex.press(texts.RECONNECT_YES, invite)
    assert answer.text == "I've let Sam know."
    await sam.expect("Alex would like 20 minutes to reconnect with you.")
    # The invitation reads as answered, not as a question left hanging; a second tap (an old
    # client still showing the button) says it already went.
    await steady.settle()
    assert invite.buttons == []
    assert invite.shown.endswith(f"\n\n✓ {texts.RECONNECT_YES}")
    assert (await alex.press_data(data, invite)).text == texts.ALREADY_SENT
    # And the next Friday's date is on again: announced on Thursday, the day before.
    await steady.advance_to(datetime(2026, 3, 12, 18, 0, tzinfo=UTC))
    await alex.expect("Friday 19:00 Berlin time is yours")


async def test_back_ends_time_apart_early(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/away 2026-03-20")
    await sam.expect("Alex is away until Fri 20 Mar.")
    await alex.send("/back")
    await alex.expect(texts.RECONNECT)
    await sam.expect(texts.RECONNECT)
    await alex.send("/back")
    await alex.expect(texts.NOT_AWAY)
    await steady.advance_to(datetime(2026, 3, 20, 18, 0, tzinfo=UTC))
    assert not [m for m in sam.unread if texts.RECONNECT in m.shown]  # not a second time
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(Person.away_until).where(Person.id == 1)) is None


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/away", "Send /away and the day you're back"),
        ("/away tomorrow", "Send /away and the day you're back"),
        # Written as a date, but no such day: said plainly, not "send a date".
        ("/away 2026-13-45", "2026-13-45 isn't a date that exists"),
        ("/away 2026-02-30", "2026-02-30 isn't a date that exists"),
        ("/away 2026-03-02", "That's today. /away takes the day you're back"),
        ("/away 2026-03-01", "Sun 1 Mar is in the past."),
        ("/away 2025-12-24", "Wed 24 Dec 2025 is in the past."),
        ("/away 2028-01-01", "/away takes a day within the next year"),
        ("/away 2026-04-01 " + "y" * 201, "That's 201 characters"),
    ],
)
async def test_bad_away_input_gets_a_correction_and_changes_nothing(
    steady: Steady, command: str, reply: str
) -> None:
    alex, sam = await pair(steady)
    await alex.send(command)
    await alex.expect(reply)
    await steady.settle()
    assert sam.unread == []
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(Person.away_until).where(Person.id == 1)) is None
        assert await session.scalar(select(Delivery.id).where(Delivery.kind == "reconnect")) is None


async def test_status_counts_the_days_to_the_reunion_and_both_hear_the_evening_before(
    steady: Steady,
) -> None:
    alice, bob = await pair(steady, "Alice", "Bob")
    await zones(alice, zone="Europe/Berlin")
    await zones(bob, zone="America/New_York")
    await alice.send("/away 2026-03-10 a conference")
    await bob.expect("Alice is away until Tue 10 Mar (a conference)")
    await bob.send("/status")
    assert "Alice is away until Tue 10 Mar. Back in 8 days." in (await bob.expect("It's")).shown
    await alice.send("/status")
    assert "You're away until Tue 10 Mar. Back in 8 days." in (await alice.expect("It's")).shown

    # The evening before, 20:00 on each clock: Berlin first, then New York (4 h later in UTC).
    await steady.walk(datetime(2026, 3, 9, 18, 59, tzinfo=UTC) - steady.clock.now())
    await bob.send("/status")
    assert "Back tomorrow." in (await bob.expect("It's")).shown
    assert not [m for m in alice.unread + bob.unread if "One more night" in m.shown]
    await steady.walk(datetime(2026, 3, 9, 19, 0, tzinfo=UTC) - steady.clock.now())
    await alice.expect("One more night — tomorrow you and Bob are together again. 🌙")
    assert not [m for m in bob.unread if "One more night" in m.shown]
    await steady.walk(datetime(2026, 3, 10, 0, 0, tzinfo=UTC) - steady.clock.now())
    await bob.expect("One more night — tomorrow you and Alice are together again. 🌙")


async def test_back_early_means_no_countdown_note(steady: Steady) -> None:
    alice, bob = await pair(steady, "Alice", "Bob")
    await alice.send("/away 2026-03-10")
    await bob.expect("Alice is away")
    await alice.send("/away 2026-03-12")  # a day later after all: one note, the new evening
    await bob.expect("Alice is away until Thu 12 Mar")
    await steady.walk(datetime(2026, 3, 11, 19, 59, tzinfo=UTC) - steady.clock.now())
    assert not [m for m in alice.inbox + bob.inbox if "One more night" in m.shown]
    await steady.walk(timedelta(minutes=1))
    await alice.expect("One more night")
    await bob.expect("One more night")
    await alice.send("/away 2026-03-20")
    await bob.expect("Alice is away until Fri 20 Mar")
    await alice.send("/back")
    await alice.expect(texts.RECONNECT)
    await steady.walk(datetime(2026, 3, 20, 12, 0, tzinfo=UTC) - steady.clock.now())
    assert not [m for m in alice.unread + bob.unread if "One more night" in m.shown]
