"""Shared moments at one instant for both: a joint ritual (date, talk, the digest and review,
the question) follows the couple's clock, and every time shown says whose clock it is and what
it is on the reader's own. Alice lives in Berlin, Bob in New York."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot import texts
from bot.db.models import Couple, Delivery, Person, RitualSlot
from bot.services.schedule import next_occurrence
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import pair
from tests.test_rituals import received, set_zone, utc
from tests.test_triggers import describe


async def alice_and_bob(steady: Steady) -> tuple[FakeUser, FakeUser]:
    alice, bob = await pair(steady, "Alice", "Bob")
    await set_zone(alice, "Europe/Berlin")
    await set_zone(bob, "America/New_York")
    return alice, bob


async def rows(steady: Steady, kind: str) -> dict[str, list[tuple[datetime, str, datetime | None]]]:
    """Each person's `kind` occurrences: (occurrence, status, sent at), oldest first."""
    await steady.settle()
    out: dict[str, list[tuple[datetime, str, datetime | None]]] = {}
    async with steady.rt.db.transaction() as session:
        found = await session.execute(
            select(Person.first_name, Delivery.occurrence_at, Delivery.status, Delivery.sent_at)
            .join(Person, Person.id == Delivery.recipient_id)
            .where(Delivery.kind == kind)
            .order_by(Delivery.occurrence_at, Delivery.id)
        )
        for name, occurrence, status, sent_at in found:
            assert occurrence is not None  # every ritual occurrence has one
            out.setdefault(name, []).append((occurrence, status, sent_at))
    return out


async def test_a_weekly_talk_reaches_berlin_and_new_york_at_one_instant_across_dst(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob(steady)
    await alice.send("/ritual add talk 18:00 sun")
    added = await alice.expect("Added: Weekly talk · Sundays 18:00 Berlin time")
    assert texts.clock_chosen("Berlin") in added.shown
    # New York moves its clocks on 8 March, Berlin on 29 March: the next talk is 13:00 for Bob.
    notice = await bob.expect(
        "Alice added a ritual for you both: Weekly talk · Sundays 18:00 Berlin (13:00 your time)"
    )
    assert texts.clock_chosen("Berlin") in notice.shown
    await steady.walk(timedelta(days=28))  # to Monday 30 March
    sundays = [utc(2026, 3, 8, 17), utc(2026, 3, 15, 17), utc(2026, 3, 22, 17)]
    sundays.append(utc(2026, 3, 29, 16))  # 18:00 in Berlin's summer time
    talks = await rows(steady, "talk")
    for name in ("Alice", "Bob"):
        assert talks[name] == [(at, "sent", at) for at in sundays], name
    assert len(received(alice, "Time for your weekly talk")) == 4
    assert len(received(bob, "Time for your weekly talk")) == 4
    # The digest comes with the talk, to both at the same moment.
    digests = await rows(steady, "digest")
    assert [at for at, _, _ in digests["Alice"]] == [at for at, _, _ in digests["Bob"]]
    assert digests["Alice"] and all(at in sundays for at, _, _ in digests["Alice"])
    # Both clocks are on summer time now: 12:00 for Bob.
    await bob.send("/ritual list")
    await bob.expect("1. Weekly talk · Sundays 18:00 Berlin (12:00 your time)")
    await alice.send("/status")
    status = await alice.expect("Active rituals")
    assert "• Weekly talk · Sundays 18:00 Berlin time" in status.shown


async def test_a_date_on_friday_evening_in_new_york_is_saturday_night_in_berlin(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob(steady)
    await alice.send("/quiet 22:30-07:00")
    await alice.expect("Quiet hours")
    await bob.send("/ritual add date 20:00 fri")  # Bob's zone becomes the couple's clock
    await bob.expect("Added: Date · Fridays 20:00 New York time")
    await alice.expect(
        "Bob added a ritual for you both: Date · Fridays 20:00 New York (Saturdays 02:00 your time)"
    )
    await alice.send("/rituals")
    await alice.expect("1. Date · Fridays 20:00 New York (Saturdays 02:00 your time)")
    await bob.send("/status")
    status = await bob.expect("Active rituals")
    assert "• Date · Fridays 20:00 New York time" in status.shown
    # Announced the day before: Thursday 20:00 in New York, 02:00 in Berlin — Alice's quiet
    # hours, so hers waits until they end at 07:00.
    await steady.walk(timedelta(days=4))
    await bob.expect("Friday 20:00 New York time is yours — plan something?")
    await alice.expect(
        "Friday 20:00 New York (Saturday 02:00 your time) is yours — plan something?"
    )
    dates = await rows(steady, "date")
    thursday = utc(2026, 3, 6, 1)
    assert dates["Bob"] == [(thursday, "sent", thursday)]
    assert dates["Alice"] == [(thursday, "sent", utc(2026, 3, 6, 6))]


async def test_either_can_move_the_couples_clock_and_the_other_is_told(steady: Steady) -> None:
    alice, bob = await alice_and_bob(steady)
    await alice.send("/ritual add talk 18:00 sun")
    await alice.expect("Added:")
    await bob.send("/ritual zone")
    shown = await bob.expect("Your shared rituals follow Berlin time")
    assert "• Weekly talk · Sundays 18:00 Berlin (13:00 your time)" in shown.shown
    await bob.send("/ritual zone New_Yrok")
    await bob.expect("I don't know that time zone")
    await bob.send("/ritual zone America/New_York")
    await bob.expect(
        "Your shared rituals now follow New York time.\n• Weekly talk · Sundays 18:00 New York time"
    )
    await alice.expect(
        "Bob moved your shared rituals to New York time.\n"
        "• Weekly talk · Sundays 18:00 New York (23:00 your time)"
    )
    await bob.send("/ritual zone America/New_York")
    await bob.expect(texts.CLOCK_SAME)
    await steady.walk(timedelta(days=7))
    late_in_berlin = utc(2026, 3, 8, 22)  # Sunday 18:00 in New York, 23:00 in Berlin
    talks = await rows(steady, "talk")
    assert talks["Alice"] == talks["Bob"] == [(late_in_berlin, "sent", late_in_berlin)]


async def test_the_review_asks_both_at_once_and_tells_each_the_others_answer(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob(steady)
    await alice.send("/ritual add talk 18:00 sun")
    await alice.expect("Added:")
    # Four weeks after pairing, the first talk brings the review: 5 April, 18:00 in Berlin.
    await steady.advance_to(utc(2026, 4, 5, 15, 59))
    alice.mark_read()
    bob.mark_read()
    await steady.advance_to(utc(2026, 4, 5, 16, 0))
    hers = await alice.expect("Do these rituals still work for you both?")
    his = await bob.expect("Do these rituals still work for you both?")
    assert "• Weekly talk · Sundays 18:00 Berlin (12:00 your time)" in his.shown
    change = hers.button_data(texts.REVIEW_CHANGE)
    await alice.press(texts.REVIEW_KEEP, hers)
    await bob.expect("Alice is happy with your rituals as they are.")
    await bob.press(texts.REVIEW_CHANGE, his)
    await alice.expect("Bob would like to change something in your rituals.")
    await bob.expect("1. Weekly talk")  # the menu, to change it
    await alice.press_data(change, hers)  # her answer was given: Bob hears it once
    await steady.settle()
    assert len(received(bob, "Alice is happy")) == 1
    assert received(bob, "would like to change") == []


async def test_an_answer_to_the_review_is_not_news_for_a_partner_who_was_not_asked(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob(steady)
    await bob.send("/quiet 11:00-14:00")  # the talk, 12:00 his time, falls deep inside them
    await bob.expect("Quiet hours")
    await alice.send("/ritual add talk 18:00 sun")
    await alice.expect("Added:")
    await steady.advance_to(utc(2026, 4, 5, 15, 59))
    alice.mark_read()
    bob.mark_read()
    await steady.advance_to(utc(2026, 4, 5, 16, 0))
    hers = await alice.expect("Do these rituals still work for you both?")
    await alice.press(texts.REVIEW_KEEP, hers)
    await steady.walk(timedelta(hours=3))  # past his quiet hours: his review was skipped
    assert [status for _, status, _ in (await rows(steady, "review"))["Bob"]] == ["skipped"]
    assert received(bob, "Do these rituals still work") == []
    assert received(bob, "Alice is happy") == []


async def test_dates_announced_the_morning_of_and_planned_by_one_before_the_other_wakes(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob(steady)
    await bob.send("/quiet 22:00-07:00")
    await bob.expect("Quiet hours")
    await alice.send("/ritual remind morning")
    await alice.expect(texts.date_ahead_set("morning"))
    await bob.expect("Alice chose to have your dates announced on the morning of the day.")
    await alice.send("/ritual add date 19:00 fri")
    await alice.expect("Added: Date · Fridays 19:00 Berlin time")
    # Friday 09:00 in Berlin is 03:00 in New York: Bob's waits for 07:00 there.
    await steady.advance_to(utc(2026, 3, 6, 8, 0))
    reminder = await alice.expect("Friday 19:00 Berlin time is yours — plan something?")
    await steady.advance_to(utc(2026, 3, 6, 8, 5))
    await alice.press(texts.PLANNED_BUTTON, reminder)
    await bob.expect("Alice marked your date as planned ✓")
    await steady.walk(timedelta(hours=12))
    assert received(bob, "plan something?") == []
    dates = await rows(steady, "date")
    assert [status for _, status, _ in dates["Bob"]] == ["skipped"]
    await alice.send("/ritual remind")
    await alice.expect(texts.DATE_AHEAD_USAGE)
    await bob.send("/ritual remind eve")
    await bob.expect(texts.date_ahead_set("eve"))
    await alice.expect("Bob chose to have your dates announced the day before.")


async def test_a_couple_from_before_the_shared_clock_gets_one_after_the_next_start(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob(steady)
    await alice.send("/ritual add talk 18:00 sun")
    await alice.expect("Added:")
    async with steady.rt.db.transaction() as session:  # as each partner's own clock had it
        await session.execute(update(Couple).values(timezone=None))
        for slot, zone in (
            await session.execute(
                select(RitualSlot, Person.timezone).join(Person, Person.id == RitualSlot.person_id)
            )
        ).all():
            slot.zone = zone
            slot.next_due_at = next_occurrence(18 * 60, 1 << 6, zone or "UTC", steady.clock.now())
    await steady.restart()
    await steady.settle()  # the start-up's upkeep runs in the background
    for user in (alice, bob):
        await user.expect("Your shared rituals now follow Berlin time (Alice's clock)")
    await steady.walk(timedelta(days=7))
    sunday = utc(2026, 3, 8, 17)
    talks = await rows(steady, "talk")
    assert talks["Alice"] == talks["Bob"] == [(sunday, "sent", sunday)]


async def test_without_a_talk_the_weekly_digest_still_reaches_both_at_one_moment(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob(steady)
    await alice.send("/journal Pancakes on the balcony.")
    await bob.expect("Alice added to your journal")
    await steady.walk(timedelta(days=7))
    # Sunday 18:00 on the clock of the first of them to set a zone: Alice's, Berlin.
    sunday = utc(2026, 3, 8, 17)
    digests = await rows(steady, "digest")
    assert digests["Alice"] == digests["Bob"] == [(sunday, "sent", sunday)]
    assert len(received(bob, texts.DIGEST_HEAD)) == 1


async def test_a_moment_saved_for_the_talk_reaches_both_at_the_shared_talk(steady: Steady) -> None:
    alice, bob = await alice_and_bob(steady)
    await alice.send("/ritual add talk 18:00 wed")
    await alice.expect("Added:")
    offer = await describe(bob, "plans changed last minute", "unimportant", "to be heard")
    await bob.press(texts.FOR_TALK_BUTTON, offer)
    await bob.expect(texts.TRIGGER_FOR_TALK)
    await steady.advance_to(utc(2026, 3, 4, 17, 0))  # Wednesday 18:00 in Berlin, noon in New York
    statement = "When plans changed last minute, I felt unimportant. I need to be heard."
    for user in (alice, bob):
        talk = await user.expect("Time for your weekly talk")
        assert f"To bring up today:\n• Bob: “{statement}”" in talk.shown
