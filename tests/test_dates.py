"""Dates that matter: the couple's anniversary, each partner's birthday and dates they name. Both
are told of every change; each is reminded a week and a day ahead at 10:00 on their own clock,
never in quiet hours; a 29 February is kept on 28 February in other years. Alice lives in
Berlin, Bob in New York (whose clocks go forward on 8 March 2026, Berlin's on 29 March)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from bot import callbacks, texts
from bot.db.models import DateSlot, Delivery, ImportantDate, Person
from bot.services.privacy import person_columns
from tests import worlds
from tests.databases import Databases
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import invite, pair
from tests.test_authorisation import assert_nothing_happened, press_as, snapshot
from tests.test_pause import take_a_moment
from tests.worlds import Prepared, World


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def couple(steady: Steady) -> tuple[FakeUser, FakeUser]:
    """Alice in Berlin, Bob in New York, paired."""
    alice, bob = await pair(steady, "Alice", "Bob")
    for user, zone in ((alice, "Europe/Berlin"), (bob, "America/New_York")):
        await user.send(f"/timezone {zone}")
        await user.expect(f"Your time zone is {zone}")
        await user.server.settle()  # and the starter set a first zone brings
        await user.expect(texts.STARTER_INTRO)  # the guided first minute's last step
    return alice, bob


def reminders(user: FakeUser) -> list[str]:
    return [m.shown for m in user.unread if m.shown.endswith("🗓")]


async def test_an_anniversary_reminds_both_a_week_and_a_day_ahead_at_ten_on_their_own_clocks(
    steady: Steady,
) -> None:
    alice, bob = await couple(steady)
    await alice.send("/dates add anniversary 2019-03-20")
    await alice.expect(
        "Added: Your anniversary · 20 Mar 2019. Bob knows too. Reminders come a week and a day "
        "before, at 10:00 your time."
    )
    await bob.expect("Alice added a date that matters: Your anniversary · 20 Mar 2019.")

    # A week ahead, Friday 13 March, 10:00 in Berlin (UTC+1): Alice — and not Bob yet.
    await steady.walk(utc(2026, 3, 13, 8, 59) - steady.clock.now())
    assert reminders(alice) == [] and reminders(bob) == []
    await steady.walk(timedelta(minutes=1))
    week = "Your anniversary is in a week, Fri 20 Mar — 7 years. 🗓"
    assert (await alice.expect("Your anniversary is in a week")).shown == week
    assert reminders(bob) == []
    # 10:00 in New York, whose clocks went forward on 8 March: 14:00 UTC, not 15:00.
    await steady.walk(utc(2026, 3, 13, 13, 59) - steady.clock.now())
    assert reminders(bob) == []
    await steady.walk(timedelta(minutes=1))
    assert (await bob.expect("Your anniversary is in a week")).shown == week

    # A day ahead, on each clock; then nothing more this year.
    await steady.walk(utc(2026, 3, 19, 9, 0) - steady.clock.now())
    tomorrow = "Your anniversary is tomorrow, Fri 20 Mar — 7 years. 🗓"
    assert (await alice.expect("Your anniversary is tomorrow")).shown == tomorrow
    assert reminders(bob) == []
    await steady.walk(utc(2026, 3, 19, 14, 0) - steady.clock.now())
    assert (await bob.expect("Your anniversary is tomorrow")).shown == tomorrow
    await steady.walk(utc(2026, 3, 21, 12, 0) - steady.clock.now())
    assert reminders(alice) == [] and reminders(bob) == []
    async with steady.rt.db.transaction() as session:
        sent = await session.scalar(
            select(func.count()).where(Delivery.kind == "date_reminder", Delivery.status == "sent")
        )
    assert sent == 4  # each reminder once


async def test_a_birthday_reminds_the_other_partner_and_changes_and_removals_are_told(
    steady: Steady,
) -> None:
    alice, bob = await couple(steady)
    await alice.send("/dates add birthday 14 Mar")
    await alice.expect("Added: Your birthday · 14 Mar.")
    await bob.expect("Alice added a date that matters: Alice's birthday · 14 Mar.")
    await bob.send("/dates add birthday Alice 15 March 1994")
    await bob.expect("Changed: Alice's birthday · 14 Mar → 15 Mar 1994. Alice knows too.")
    await alice.expect("Bob changed a date that matters: Your birthday · 14 Mar → 15 Mar 1994.")
    await bob.send("/dates add First trip together 2021-09-03")
    await bob.expect("Added: “First trip together” · 3 Sep 2021.")
    await alice.expect("Bob added a date that matters: “First trip together” · 3 Sep 2021.")

    await alice.send("/dates")
    listing = await alice.expect("Dates that matter:")
    assert listing.shown.splitlines()[1:3] == [
        "1. Your birthday · 15 Mar 1994 — next Sun 15 Mar, in 13 days",
        "2. “First trip together” · 3 Sep 2021 — next Thu 3 Sep, in 185 days",
    ]
    assert listing.buttons == ["✖ Remove 1", "✖ Remove 2"]

    # 8 March, 10:00 in New York: Bob is reminded; Alice is not reminded of her own birthday.
    await steady.walk(utc(2026, 3, 8, 14, 0) - steady.clock.now())
    assert (await bob.expect("Alice's birthday is in a week")).shown == (
        "Alice's birthday is in a week, Sun 15 Mar. 🗓"
    )
    await steady.walk(utc(2026, 3, 14, 23, 0) - steady.clock.now())
    assert (await bob.expect("Alice's birthday is tomorrow")).shown == (
        "Alice's birthday is tomorrow, Sun 15 Mar. 🗓"
    )
    assert reminders(alice) == []

    # Removed with the button: both told, the list redrawn, no more reminders of it.
    answer = await alice.press("✖ Remove 2", listing)
    assert answer.text == "Removed: “First trip together” · 3 Sep 2021. Bob knows too."
    await bob.expect("Alice removed a date: “First trip together” · 3 Sep 2021.")
    await steady.settle()
    assert "First trip" not in listing.shown and listing.buttons == ["✖ Remove 1"]
    await bob.send("/dates remove 1")
    await bob.expect("Removed: Alice's birthday · 15 Mar 1994. Alice knows too.")
    await alice.expect("Bob removed a date: Your birthday · 15 Mar 1994.")
    await alice.send("/dates")
    await alice.expect(texts.DATES_EMPTY)
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(DateSlot)) == 0


async def test_a_29_february_birthday_is_kept_on_28_february_in_other_years(
    steady: Steady,
) -> None:
    alice, bob = await couple(steady)
    await bob.send("/dates add birthday partner 1996-02-29")
    await bob.expect("Added: Alice's birthday · 29 Feb 1996.")
    await alice.expect("Your birthday · 29 Feb 1996")
    await bob.send("/dates")
    assert "next Sun 28 Feb, in 363 days" in (await bob.expect("Dates that matter")).shown
    # 2027 has no 29 February: a week before the 28th, and the day before, 10:00 in New York.
    await steady.advance_to(utc(2027, 2, 21, 14, 59))
    bob.mark_read()
    await steady.advance_to(utc(2027, 2, 21, 15, 0))
    await bob.expect("Alice's birthday is in a week, Sun 28 Feb. 🗓")
    await steady.advance_to(utc(2027, 2, 27, 15, 0))
    await bob.expect("Alice's birthday is tomorrow, Sun 28 Feb. 🗓")
    # 2028 has one.
    await steady.advance_to(utc(2028, 2, 22, 15, 0))
    await bob.expect("Alice's birthday is in a week, Tue 29 Feb. 🗓")
    await steady.advance_to(utc(2028, 2, 28, 15, 0))
    await bob.expect("Alice's birthday is tomorrow, Tue 29 Feb. 🗓")


async def test_a_reminder_waits_out_quiet_hours_and_then_comes_with_sound(steady: Steady) -> None:
    alice, _bob = await couple(steady)
    await alice.send("/quiet 23:00-10:30")
    await alice.expect("Quiet hours")
    await alice.send("/dates add Moving day 2026-03-12")
    await alice.expect("Added:")
    # Thursday 5 March, 10:00 in Berlin is inside Alice's quiet hours: the reminder waits.
    await steady.walk(utc(2026, 3, 5, 9, 29) - steady.clock.now())
    assert reminders(alice) == []
    await steady.walk(timedelta(minutes=1))
    reminder = await alice.expect("“Moving day” is in a week, Thu 12 Mar. 🗓")
    assert not reminder.disable_notification


async def test_a_reminder_missed_in_downtime_is_not_sent_stale(steady: Steady) -> None:
    alice, _bob = await couple(steady)
    await alice.send("/dates add anniversary 2019-03-20")
    await alice.expect("Added:")
    await steady.stop()
    steady.clock.set(utc(2026, 3, 13, 22, 0))  # the week-ahead reminder was 13 h ago
    await steady.start()
    await steady.settle()
    assert reminders(alice) == []
    await steady.walk(utc(2026, 3, 19, 9, 0) - steady.clock.now())
    await alice.expect("Your anniversary is tomorrow")


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/dates add birthday 2026-13-45", "I couldn't read “2026-13-45” as a day of the year."),
        ("/dates add Our trip 31 Feb", "I couldn't read “31 Feb” as a day of the year."),
        ("/dates add 2026-05-01", texts.DATE_NAME_EMPTY),
        ("/dates add " + "x" * 61 + " 2026-05-01", "That name is 61 characters; please keep"),
        ("/dates add anniversary", "Add a date that matters with /dates add"),
        ("/dates add", "Add a date that matters with /dates add"),
        ("/dates add birthday 2030-01-01", "2030 looks like a typo for the year."),
        ("/dates add anniversary 1066-10-14", "1066 looks like a typo for the year."),
        ("/dates remove 3", "There's no date number 3."),
        ("/dates remove first", "Send /dates remove and the number"),
        ("/dates shuffle", "Add a date that matters with /dates add"),
    ],
)
async def test_bad_dates_input_gets_a_kind_correction_and_changes_nothing(
    steady: Steady, command: str, reply: str
) -> None:
    alice, bob = await couple(steady)
    await alice.send(command)
    await alice.expect(reply)
    await steady.settle()
    assert bob.unread == []
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ImportantDate)) == 0
        assert await session.scalar(select(func.count()).select_from(DateSlot)) == 0


async def test_the_same_date_again_changes_nothing_and_tells_nobody(steady: Steady) -> None:
    alice, bob = await couple(steady)
    await alice.send("/dates add anniversary 2019-06-14")
    await bob.expect("Alice added")
    await bob.send("/dates add Anniversary 14 Jun 2019")
    await bob.expect(texts.DATE_UNCHANGED)
    await steady.settle()
    assert [m.shown for m in alice.unread if m.shown.startswith("Bob")] == []


async def test_export_has_the_couples_dates_and_delete_leaves_none_about_the_person(
    steady: Steady,
) -> None:
    alice, bob = await couple(steady)
    await bob.send("/dates add anniversary 2019-06-14")
    await alice.expect("Bob added")
    await bob.send("/dates add birthday Alice 1994-03-15")
    await alice.expect("Bob added")
    await alice.send("/export")
    page = await alice.expect(texts.EXPORT_READABLE_CAPTION)
    assert page.document is not None
    readable = steady.telegram.bot.files[page.document].decode()
    assert "• 15 Mar 1994 — Your birthday\n• 14 Jun 2019 — Your anniversary\n" in readable
    document = await alice.expect(texts.EXPORT_CAPTION)
    assert document.document is not None
    exported = json.loads(steady.telegram.bot.files[document.document])
    assert [(d["kind"], d["month"], d["day"]) for d in exported["important_dates"]] == [
        ("anniversary", 6, 14),
        ("birthday", 3, 15),
    ]
    async with steady.rt.db.transaction() as session:
        alice_id = await session.scalar(select(Person.id).where(Person.first_name == "Alice"))
    await alice.send("/delete")
    await alice.press(texts.DELETE_YES_BUTTON, await alice.expect("Delete everything"))
    await alice.expect(texts.DELETED)
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        for table, column in person_columns():
            count = await session.scalar(
                select(func.count()).select_from(table).where(table.c[column] == alice_id)
            )
            assert count == 0, f"{table.name}.{column} still refers to Alice"
        assert await session.scalar(select(func.count()).select_from(ImportantDate)) == 0
    # Bob hears of no date of a couple that is no more.
    await steady.walk(utc(2026, 3, 16, 0, 0) - steady.clock.now())
    assert reminders(bob) == []


# --- the ✖ Remove button, authorised like every other ------------------------------------


async def story(steady: Steady) -> dict[str, Any]:
    """Two couples and an outsider (as tests/test_authorisation.py has them); Alex and Sam keep
    one date."""
    alex, sam = await pair(steady, "Alex", "Sam")
    await pair(steady, "Kim", "Lee")
    zoe = steady.user("Zoe")
    await zoe.start()
    await zoe.expect("Steady helps")
    await alex.send("/dates add anniversary 2019-06-14")
    await sam.expect("Alex added")
    async with steady.rt.db.transaction() as session:
        date_id = await session.scalar(select(ImportantDate.id))
    return {"date": date_id}


@pytest.fixture(scope="module")
def prepared(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return worlds.prepare(databases, tmp_path_factory.mktemp("world"), story)


@pytest.mark.parametrize("who", ["kim", "zoe"])
async def test_a_remove_press_from_outside_the_couple_changes_nothing(w: World, who: str) -> None:
    before = await snapshot(w.steady)
    answer = await press_as(w[who], callbacks.pack(callbacks.DATES, "x", w["date"]))
    assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(w.steady, before, w, w[who])


@pytest.mark.parametrize("data", ["dm:x", "dm:x:1:2", "dm:y:1", "dm:x:99999", "dm:x:-1"])
async def test_a_forged_remove_press_changes_nothing(w: World, data: str) -> None:
    before = await snapshot(w.steady)
    assert await press_as(w["alex"], data) == texts.BUTTON_STALE
    await assert_nothing_happened(w.steady, before, w, w["alex"])


async def test_a_remove_press_after_unpairing_changes_nothing(w: World) -> None:
    alex, sam = w["alex"], w["sam"]
    await alex.send("/unpair")
    await alex.press(texts.UNPAIR_YES_BUTTON, await alex.expect("Unpair from Sam?"))
    await sam.expect("has ended your pairing")
    link, _ = await invite(alex)
    await sam.open_link(link)
    await sam.expect("You're paired with Alex")
    await alex.send("/dates add anniversary 2019-06-14")  # the new couple's own
    await sam.expect("Alex added")
    await w.steady.settle()
    for user in (alex, sam):
        user.mark_read()
    before = await snapshot(w.steady)
    for user in (alex, sam):
        answer = await press_as(user, callbacks.pack(callbacks.DATES, "x", w["date"]))
        assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(w.steady, before, w, alex)


async def test_either_partner_may_remove_with_the_button(w: World) -> None:
    """The refusals above mean something only if the same press works for its owners."""
    answer = await press_as(w["sam"], callbacks.pack(callbacks.DATES, "x", w["date"]))
    assert answer == "Removed: Your anniversary · 14 Jun 2019. Alex knows too."
    await w["alex"].expect("Sam removed a date: Your anniversary · 14 Jun 2019.")


async def test_reminders_follow_a_partner_who_sets_a_new_time_zone(steady: Steady) -> None:
    alice, bob = await couple(steady)
    await alice.send("/dates add anniversary 2019-03-20")
    await bob.expect("Alice added")
    await bob.send("/timezone Asia/Tokyo")  # 10:00 in Tokyo is 01:00 UTC
    await bob.expect("Your time zone is Asia/Tokyo")
    await steady.walk(utc(2026, 3, 13, 0, 59) - steady.clock.now())
    assert reminders(bob) == []
    await steady.walk(timedelta(minutes=1))
    await bob.expect("Your anniversary is in a week")
    await bob.send("/timezone America/New_York")  # back to 05:00 on 13 March: not again at 10
    await bob.expect("Your time zone is America/New_York")
    await steady.walk(utc(2026, 3, 13, 15, 0) - steady.clock.now())
    assert reminders(bob) == []
    await steady.walk(utc(2026, 3, 19, 14, 0) - steady.clock.now())
    await bob.expect("Your anniversary is tomorrow")


async def test_a_reminder_waits_out_a_pause_and_a_removed_date_is_never_recalled(
    steady: Steady,
) -> None:
    alice, bob = await couple(steady)
    await alice.send("/dates add anniversary 2019-03-20")
    await bob.expect("Alice added")
    await alice.send("/dates add Moving day 2026-03-21")
    await bob.expect("Alice added")
    # Friday 13 March, 09:50 in Berlin: Alice takes twenty minutes; her 10:00 reminder waits.
    await steady.walk(utc(2026, 3, 13, 8, 50) - steady.clock.now())
    await take_a_moment(alice, "20 minutes")
    await steady.walk(utc(2026, 3, 13, 9, 9) - steady.clock.now())
    assert reminders(alice) == []
    await steady.walk(timedelta(minutes=1))
    await alice.expect("Your anniversary is in a week")
    # Saturday 14 March, Alice's quiet hours run to 10:30; Bob removes the moving day at 10:15.
    await alice.send("/quiet 23:00-10:30")
    await alice.expect("Quiet hours")
    await steady.walk(utc(2026, 3, 14, 9, 15) - steady.clock.now())
    await bob.send("/dates remove 2")
    await bob.expect("Removed: “Moving day”")
    await steady.walk(utc(2026, 3, 14, 12, 0) - steady.clock.now())
    assert not [m for m in alice.inbox if "Moving day” is in a week" in m.shown]


async def test_a_very_long_unreadable_day_is_echoed_short(steady: Steady) -> None:
    alice, _bob = await couple(steady)
    await alice.send("/dates add Trip 1" + "9" * 4000)
    reply = await alice.expect("I couldn't read “1999")
    assert len(reply.shown) < 200
