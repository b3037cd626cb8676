"""Rituals at each partner's own local time — exactly once, across restarts, downtime and DST,
and never with sound in quiet hours. Time is the test's clock: days pass in milliseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import callbacks, texts
from bot.db.models import Delivery, Person, Ritual, RitualSlot
from tests.faketelegram import FakeTelegram, FakeUser
from tests.harness import FakeClock, Steady, running_bot
from tests.stories import pair


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def set_zone(user: FakeUser, zone: str) -> None:
    await user.send(f"/timezone {zone}")
    await user.expect(f"Your time zone is {zone}")
    # A first zone brings the starter set through the outbox: let it land before the story goes on.
    await user.server.settle()


async def add(user: FakeUser, spec: str) -> None:
    await user.send(f"/ritual add {spec}")
    await user.expect("Added:")


async def occurrences(steady: Steady, kind: str | None = None) -> list[tuple[datetime, str, str]]:
    """(occurrence instant, status, recipient) of ritual occurrences, oldest first."""
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        rows = await session.execute(
            select(Delivery.occurrence_at, Delivery.status, Person.first_name, Delivery.kind)
            .join(Person, Person.id == Delivery.recipient_id)
            # The weekly digest and review ride on rituals too; test_journal covers them.
            .where(
                Delivery.ritual_id.is_not(None),
                Delivery.kind.not_in(["digest", "digest_chart", "review"]),
            )
            .order_by(Delivery.occurrence_at, Delivery.id)
        )
        return [
            (r[0], r[1], r[2])
            for r in rows
            if (kind is None or r[3] == kind) and r[0] is not None  # (every occurrence has one)
        ]


def received(user: FakeUser, text: str) -> list[str]:
    return [m.shown for m in user.inbox if text in m.shown]


async def couple_in(steady: Steady, zone_a: str, zone_b: str) -> tuple[FakeUser, FakeUser]:
    alex, sam = await pair(steady)
    await set_zone(alex, zone_a)
    await set_zone(sam, zone_b)
    return alex, sam


# --- time zones, quiet hours, status ------------------------------------------------------


async def test_timezone_without_a_name_offers_common_zones_as_buttons(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/timezone")
    ask = await alex.expect("Which time zone are you in?")
    assert "Europe/Berlin" in ask.buttons and "UTC" in ask.buttons
    await alex.press("Asia/Kolkata", ask)
    await steady.settle()
    assert ask.shown.startswith("Your time zone is Asia/Kolkata. It's 14:30 for you now")


async def test_a_typo_gets_the_closest_zone_names(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/timezone Europe/Berln")
    suggestion = await alex.expect("Did you mean one of these?")
    assert suggestion.buttons[0] == "Europe/Berlin"
    await alex.press("Europe/Berlin", suggestion)
    await steady.settle()
    assert "Your time zone is Europe/Berlin" in suggestion.shown


@pytest.mark.parametrize("offset", ["UTC+2", "+02:00", "GMT-5", "Etc/GMT-2", "utc+5:30"])
async def test_a_fixed_offset_is_refused_because_it_breaks_at_dst(
    steady: Steady, offset: str
) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await alex.send(f"/timezone {offset}")
    await alex.expect("A plain offset like UTC+2 changes meaning when the clocks change")
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(Person.timezone)) is None


async def test_utc_itself_is_fine_and_unknown_names_are_explained(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await set_zone(alex, "UTC")
    await alex.send("/timezone Mars/Olympus_Mons")
    await alex.expect("I don't know that time zone")
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(Person.timezone)) == "UTC"


async def test_quiet_hours_are_set_cleared_and_explained(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/quiet 22:30-07:00")
    await alex.expect("set your time zone first")
    await set_zone(alex, "Europe/Berlin")
    for bad in ("", "22:30", "7-8", "25:00-07:00", "22:30-07:60", "soon"):
        await alex.send(f"/quiet {bad}")
        await alex.expect("Send /quiet with a start and end time")
    await alex.send("/quiet 07:00-07:00")
    await alex.expect("Start and end can't be the same time")
    await alex.send("/quiet 22:30-07:00")
    await alex.expect("Quiet hours: 22:30–07:00")
    await alex.send("/quiet off")
    await alex.expect("Quiet hours are off")


async def test_status_shows_both_local_times_quiet_hours_and_rituals(steady: Steady) -> None:
    steady.clock.set(utc(2026, 3, 2, 22, 40))  # 23:40 in Berlin, 17:40 in New York
    alex, sam = await couple_in(steady, "America/New_York", "Europe/Berlin")
    await sam.send("/quiet 22:30-07:00")
    await sam.expect("Quiet hours")
    await add(alex, "checkin 12:30 daily")
    await alex.send("/status")
    status = await alex.expect("It's 17:40 for you (America/New_York)")
    assert "It's 23:40 for Sam (Europe/Berlin); quiet until 07:00." in status.shown
    assert "• Check-in · 12:30 · every day" in status.shown


# --- the rituals ----------------------------------------------------------------------------


async def test_a_checkin_comes_at_each_partners_own_local_time(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "America/New_York")
    await add(alex, "checkin 12:30 daily")
    await sam.expect("Alex added a ritual for you both: Check-in · 12:30 · every day")
    await steady.advance_to(utc(2026, 3, 2, 11, 29))
    assert received(alex, texts.CHECKIN_PROMPT) == []
    await steady.advance_to(utc(2026, 3, 2, 11, 30))  # 12:30 in Berlin
    await alex.expect(texts.CHECKIN_PROMPT)
    assert received(sam, texts.CHECKIN_PROMPT) == []
    await steady.advance_to(utc(2026, 3, 2, 17, 30))  # 12:30 in New York
    await sam.expect(texts.CHECKIN_PROMPT)
    await steady.walk(timedelta(hours=6))
    assert len(received(alex, texts.CHECKIN_PROMPT)) == 1
    assert len(received(sam, texts.CHECKIN_PROMPT)) == 1


async def test_a_checkin_answer_is_shared_with_a_few_words_if_wanted(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    await steady.advance_to(utc(2026, 3, 2, 11, 30))
    prompt = await alex.expect(texts.CHECKIN_PROMPT)
    assert prompt.buttons == list(texts.MOODS.values())
    second_thoughts = prompt.button_data("2 😕")
    await alex.press("4 🙂", prompt)
    await sam.expect("Alex checked in: 4 🙂")
    await steady.settle()
    assert prompt.shown == texts.checkin_answered("4 🙂", "Sam")
    answer = await alex.press_data(second_thoughts, prompt)
    assert answer.text == texts.CHECKIN_ALREADY
    await alex.press(texts.ADD_WORDS_BUTTON, prompt)
    await alex.expect("What would you like Sam to know?")
    await alex.send("Long day, but okay.")
    await sam.expect("Alex added to their check-in: Long day, but okay.")
    await steady.settle()
    assert not any("2 😕" in m.shown for m in sam.inbox)


async def test_a_missed_checkin_is_not_chased_or_reported(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    await steady.settle()
    alex.mark_read()
    sam.mark_read()
    await steady.walk(timedelta(days=2))
    # Each got exactly the daily question and nothing else: no reminder, no "missed".
    assert [m.shown for m in alex.unread] == [texts.CHECKIN_PROMPT] * 2
    assert [m.shown for m in sam.unread] == [texts.CHECKIN_PROMPT] * 2


async def test_a_nudge_prompts_the_giver_who_sends_a_note_with_one_tap(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "nudge 15:00 weekdays")
    await steady.advance_to(utc(2026, 3, 2, 14, 0))  # Monday 15:00 in Berlin
    prompt = await alex.expect("Thinking of Sam?")
    assert prompt.buttons == [*texts.DEFAULT_QUICK_NOTES, texts.WRITE_ONE_BUTTON]
    assert received(sam, "Thinking of") == []  # nothing the giver didn't choose
    await alex.press("You're on my mind.", prompt)
    await sam.expect("💭 Alex is thinking of you: “You're on my mind.”")
    await steady.settle()
    assert prompt.shown == "Sent to Sam: “You're on my mind.”"


async def test_a_nudge_offers_the_givers_own_notes_and_write_one(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await alex.send("/notes Proud of you today.")
    await alex.expect("Added to your notes")
    await alex.send("/notes")
    notes = await alex.expect("Your one-tap notes")
    assert "“Proud of you today.”" in notes.shown
    await add(alex, "nudge 15:00 weekdays")
    await steady.advance_to(utc(2026, 3, 2, 14, 0))
    prompt = await alex.expect("Thinking of Sam?")
    assert prompt.buttons == ["Proud of you today.", texts.WRITE_ONE_BUTTON]
    await alex.press(texts.WRITE_ONE_BUTTON, prompt)
    await alex.expect("The next text you send goes to Sam as yours")
    await alex.send("Saw a dog that looked like you <3")
    await sam.expect("💭 Alex is thinking of you: “Saw a dog that looked like you <3”")
    answer = await alex.press("Proud of you today.", prompt)
    assert answer.text == texts.NUDGE_ALREADY_SENT


async def test_a_note_written_ahead_arrives_at_the_next_nudge_time(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await alex.send("/note Good luck with the interview.")
    await alex.expect("you don't have a nudge ritual yet")
    await add(alex, "nudge 15:00 weekdays")
    await alex.send("/note And I'm proud of you.")
    await alex.expect("It goes to Sam at your next nudge time, Mon 15:00")
    await steady.advance_to(utc(2026, 3, 2, 14, 0))
    await sam.expect("💌 A note Alex wrote for you:\n\n“Good luck with the interview.”")
    assert received(alex, "Thinking of Sam?") == []
    await steady.advance_to(utc(2026, 3, 3, 14, 0))
    await sam.expect("“And I'm proud of you.”")
    await steady.advance_to(utc(2026, 3, 4, 14, 0))
    await alex.expect("Thinking of Sam?")  # no letters left: the prompt again


async def test_a_date_is_announced_to_both_the_day_before_and_planned_by_one_ends_it(
    steady: Steady,
) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "date 19:00 fri")
    # At 19:00 on Friday it is too late to plan: the reminder comes Thursday at 19:00.
    await steady.advance_to(utc(2026, 3, 5, 17, 59))
    assert received(alex, "plan something?") == []
    await steady.advance_to(utc(2026, 3, 5, 18, 0))
    reminder = await alex.expect("Friday 19:00 Berlin time is yours — plan something?")
    sams = await sam.expect("Friday 19:00 Berlin time is yours — plan something?")
    await alex.press(texts.PLANNED_BUTTON, reminder)
    await sam.expect("Alex marked your date as planned ✓")
    await steady.settle()
    assert reminder.shown.endswith(texts.DATE_PLANNED_SELF)
    assert reminder.buttons == []
    # Planned by one is planned for both: Sam's own button says so and tells Alex nothing.
    answer = await sam.press(texts.PLANNED_BUTTON, sams)
    assert answer.text == texts.DATE_ALREADY_PLANNED
    await steady.settle()
    assert sams.shown.endswith(texts.DATE_PLANNED_SELF) and sams.buttons == []
    await steady.advance_to(utc(2026, 3, 6, 18, 0))  # the date itself brings no second reminder
    assert received(alex, "marked your date") == []
    assert len(received(sam, "plan something?")) == len(received(alex, "plan something?")) == 1


async def test_the_weekly_talk_brings_three_short_prompts_to_both_at_once(
    steady: Steady,
) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Asia/Kolkata")
    await add(sam, "talk 18:00 sun")  # Sam's zone becomes the couple's clock
    await steady.advance_to(utc(2026, 3, 8, 12, 29))
    assert received(alex, "weekly talk") == received(sam, "weekly talk") == []
    await steady.advance_to(utc(2026, 3, 8, 12, 30))  # Sunday 18:00 in Kolkata, 13:30 in Berlin
    talk = await sam.expect("Time for your weekly talk")
    assert "appreciated" in talk.shown and "felt good" in talk.shown and "One need" in talk.shown
    await alex.expect("Time for your weekly talk")
    await steady.advance_to(utc(2026, 3, 8, 17, 0))  # Sunday 18:00 in Berlin: nothing more
    assert len(received(alex, "weekly talk")) == 1


async def test_the_starter_set_adds_rituals_with_one_tap_each(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    # The starter set follows each one's time zone: the guided first minute.
    starter = await alex.expect(texts.STARTER_INTRO)
    assert starter.buttons[0] == "➕ Check-in 12:30 every day"
    await alex.press("➕ Check-in 12:30 every day", starter)
    await alex.expect("Added: Check-in · 12:30 · every day")
    await sam.expect("Alex added a ritual for you both: Check-in · 12:30 · every day")
    # Sam's starter has the same suggestion: already there.
    sam_starter = await sam.expect(texts.STARTER_INTRO)
    answer = await sam.press("➕ Check-in 12:30 every day", sam_starter)
    assert answer.text == texts.RITUAL_DUPLICATE
    # Another time, with one tap (the talk's row).
    talk_row = starter.inline_rows[2]
    await alex.press_data(talk_row[1]["callback_data"], starter)
    await steady.settle()
    await alex.press("➕ Weekly talk 20:00 Sundays", starter)
    await alex.expect("Added: Weekly talk · Sundays 20:00 Berlin time")
    await alex.send("/ritual list")
    listing = await alex.expect("1. Check-in")
    assert "2. Weekly talk · Sundays 20:00 Berlin time" in listing.shown


async def test_the_partner_can_decline_a_ritual_and_it_never_fires(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    notice = await sam.expect("Alex added a ritual for you both")
    assert notice.buttons == [texts.KEEP_RITUAL_BUTTON, texts.DECLINE_RITUAL_BUTTON]
    await sam.press(texts.DECLINE_RITUAL_BUTTON, notice)
    await alex.expect(
        "Sam would rather not have this ritual, so it's off: Check-in · 12:30 · every day"
    )
    await steady.walk(timedelta(days=1))
    assert received(alex, texts.CHECKIN_PROMPT) == received(sam, texts.CHECKIN_PROMPT) == []


async def test_rituals_menu_pauses_resumes_and_deletes_with_buttons(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    await alex.send("/rituals")
    menu = await alex.expect("1. Check-in · 12:30 · every day")
    await alex.press("⏸ Pause 1", menu)
    await sam.expect("Alex paused a ritual")
    await steady.settle()
    assert "(paused)" in menu.shown
    await steady.advance_to(utc(2026, 3, 2, 11, 30))
    assert received(alex, texts.CHECKIN_PROMPT) == []
    await alex.press("▶ Resume 1", menu)
    await steady.advance_to(utc(2026, 3, 3, 11, 30))
    await alex.expect(texts.CHECKIN_PROMPT)
    await alex.press("🗑 Delete 1", menu)
    await steady.settle()
    assert menu.shown.startswith(texts.RITUALS_NONE)
    await steady.advance_to(utc(2026, 3, 4, 11, 30))
    assert len(received(alex, texts.CHECKIN_PROMPT)) == 1


async def test_rituals_menu_adds_one_with_buttons(steady: Steady) -> None:
    alex, _ = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await alex.send("/rituals")
    menu = await alex.expect(texts.RITUALS_NONE)
    await alex.press(texts.RITUAL_ADD_BUTTON, menu)
    await steady.settle()
    await alex.press(texts.RITUAL_NAMES["date"], menu)
    await steady.settle()
    await alex.press("19:00", menu)
    await steady.settle()
    await alex.press("Saturdays", menu)
    await steady.settle()
    assert menu.shown.startswith("Added: Date · Saturdays 19:00 Berlin time")


async def test_typed_ritual_commands_pause_resume_delete_by_number(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    await add(sam, "nudge 15:00 mon,wed,fri")
    await alex.send("/ritual list")
    listing = await alex.expect("1. Check-in")
    assert (
        "2. Thinking-of-you nudge from Sam · 15:00 · Mondays, Wednesdays, Fridays" in listing.shown
    )
    await alex.send("/ritual pause 2")
    await alex.expect("Paused: Thinking-of-you nudge from Sam")
    await sam.expect("Alex paused a ritual")
    await alex.send("/ritual resume 2")
    await alex.expect("Resumed:")
    await alex.send("/ritual delete 1")
    await alex.expect("Deleted: Check-in")
    await alex.send("/ritual list")
    await alex.expect("1. Thinking-of-you nudge from Sam")


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("/ritual", "Send /ritual add <kind> <HH:MM> [days]"),
        ("/ritual dance", "Send /ritual add <kind> <HH:MM> [days]"),
        ("/ritual add", "Send /ritual add <kind> <HH:MM> [days]"),
        ("/ritual add yoga 12:30", "Rituals are checkin, nudge, date, talk or question"),
        ("/ritual add checkin", "Times are 24-hour HH:MM"),
        ("/ritual add checkin 25:00", "Times are 24-hour HH:MM"),
        ("/ritual add checkin 12:75 daily", "Times are 24-hour HH:MM"),
        ("/ritual add checkin 12:30 someday", "Days can be daily, weekdays, weekends"),
        ("/ritual add checkin 12:30 mon,funday", "Days can be daily, weekdays, weekends"),
        ("/ritual pause", "There's no ritual with that number"),
        ("/ritual pause two", "There's no ritual with that number"),
        ("/ritual delete 7", "There's no ritual with that number"),
        ("/ritual resume -1", "There's no ritual with that number"),
    ],
)
async def test_bad_ritual_input_gets_a_correction_and_changes_nothing(
    steady: Steady, command: str, reply: str
) -> None:
    alex, _ = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    await alex.send(command)
    await alex.expect(reply)
    async with steady.rt.db.transaction() as session:
        rituals = list(await session.scalars(select(Ritual).where(Ritual.kind != "digest")))
    assert [(r.kind, r.minutes, r.paused) for r in rituals] == [("checkin", 750, False)]


async def test_rituals_need_a_partner(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    for command in ("/rituals", "/ritual add checkin 12:30", "/ritual list", "/note hi"):
        await alex.send(command)
        await alex.expect("You're not paired yet")


async def test_rituals_wait_for_a_time_zone_and_say_so(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await set_zone(alex, "Europe/Berlin")
    await alex.send("/ritual add checkin 12:30 daily")
    added = await alex.expect("Added: Check-in")
    assert "It starts once Sam has set a time zone (/timezone)" in added.shown
    notice = await sam.expect("Alex added a ritual for you both")
    assert "Set your time zone with /timezone" in notice.shown
    await alex.send("/rituals")
    await alex.expect("It starts once Sam has set a time zone")
    await steady.advance_to(utc(2026, 3, 2, 11, 30))
    await alex.expect(texts.CHECKIN_PROMPT)  # Alex has a zone: Alex's half runs
    await set_zone(sam, "Asia/Tokyo")  # takes effect at once, no restart
    await steady.advance_to(utc(2026, 3, 3, 3, 30))  # 12:30 in Tokyo
    await sam.expect(texts.CHECKIN_PROMPT)


# --- daylight saving and odd zones --------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "time", "start", "expected"),
    [
        # Berlin springs forward 2026-03-29 02:00 → 03:00: 02:30 comes at 03:00 CEST, once.
        (
            "Europe/Berlin",
            "02:30",
            utc(2026, 3, 28, 0),
            [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)],
        ),
        # Berlin falls back 2026-10-25 03:00 → 02:00: 02:30 happens twice; the ritual comes once.
        (
            "Europe/Berlin",
            "02:30",
            utc(2026, 10, 24, 0),
            [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
        ),
        (
            "America/New_York",
            "02:30",
            utc(2026, 3, 7, 0),
            [utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7), utc(2026, 3, 9, 6, 30)],
        ),
        (
            "America/New_York",
            "01:30",
            utc(2026, 10, 31, 0),
            [utc(2026, 10, 31, 5, 30), utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)],
        ),
        # Half-hour zone: 12:30 in Kolkata is 07:00 UTC.
        (
            "Asia/Kolkata",
            "12:30",
            utc(2026, 3, 2, 0),
            [utc(2026, 3, 2, 7), utc(2026, 3, 3, 7), utc(2026, 3, 4, 7)],
        ),
    ],
)
async def test_a_daily_ritual_across_daylight_saving_comes_once_a_day(
    steady: Steady, zone: str, time: str, start: datetime, expected: list[datetime]
) -> None:
    steady.clock.set(start)
    alex, _sam = await couple_in(steady, zone, zone)
    await add(alex, f"checkin {time} daily")
    alex.mark_read()
    await steady.walk(timedelta(days=3))
    mine = [(at, status) for at, status, who in await occurrences(steady) if who == "Alex"]
    assert mine == [(at, "sent") for at in expected]
    # Sunday's digest (and its picture, the sentence first) may fall in these days.
    weekly = (texts.DIGEST_HEAD, texts.INSIGHTS_CAPTION)
    shown = [m.shown for m in alex.unread if not any(w in m.shown for w in weekly)]
    assert shown == [texts.CHECKIN_PROMPT] * 3


# --- quiet hours --------------------------------------------------------------------------


async def test_a_ritual_inside_quiet_hours_waits_for_their_end_within_its_grace(
    steady: Steady,
) -> None:
    _alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await sam.send("/quiet 22:30-07:00")
    await sam.expect("Quiet hours")
    await add(sam, "nudge 06:30 daily")  # grace 2 h: quiet ends 07:00, half an hour late
    await steady.walk(timedelta(hours=24))
    ((at, status, who),) = await occurrences(steady, "nudge_prompt")
    assert (at, status, who) == (utc(2026, 3, 3, 5, 30), "sent", "Sam")
    async with steady.rt.db.transaction() as session:
        sent_at = await session.scalar(
            select(Delivery.sent_at).where(Delivery.kind == "nudge_prompt")
        )
    assert sent_at == utc(2026, 3, 3, 6, 0)  # 07:00 in Berlin, when quiet hours end


async def test_a_ritual_whose_quiet_hours_outlast_its_grace_is_skipped(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await sam.send("/quiet 22:30-07:00")
    await sam.expect("Quiet hours")
    await add(alex, "checkin 23:00 daily")  # grace 3 h, quiet until 07:00: 8 h
    sam.mark_read()
    await steady.walk(timedelta(hours=24))
    statuses = {who: status for _, status, who in await occurrences(steady)}
    assert statuses == {"Alex": "sent", "Sam": "skipped"}
    assert received(sam, texts.CHECKIN_PROMPT) == []


async def test_relayed_messages_in_quiet_hours_arrive_without_sound(steady: Steady) -> None:
    steady.clock.set(utc(2026, 3, 2, 23, 0))  # midnight in Berlin
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await sam.send("/quiet 22:30-07:00")
    await sam.expect("Quiet hours")
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("Alex asked for reassurance")
    assert notice.disable_notification is True
    words = await alex.expect("There are no agreed words")
    assert words.disable_notification is False  # Alex has no quiet hours
    await steady.advance_to(utc(2026, 3, 3, 6, 0))  # 07:00, quiet hours over
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("Alex asked for reassurance")
    assert notice.disable_notification is False


@pytest.mark.parametrize("rate", [0, 30], ids=["claimed as written", "under the budget"])
async def test_words_asked_for_in_ones_own_quiet_hours_arrive_without_sound(
    telegram: FakeTelegram, database_url: str, clock: FakeClock, rate: int
) -> None:
    """With the budget free the words' row is claimed in the tap's own transaction; under
    Telegram's budget the row may wait for the delivery path. Either way, no sound at night."""
    clock.set(utc(2026, 3, 2, 23, 0))  # midnight in Berlin
    async with running_bot(telegram, database_url, clock, telegram_rate_limit=rate) as steady:
        alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
        await alex.send("/quiet 22:30-07:00")
        await alex.expect("Quiet hours")
        await alex.tap(texts.REASSURE_BUTTON)
        words = await alex.expect("There are no agreed words")
        assert words.disable_notification is True
        notice = await sam.expect("Alex asked for reassurance")
        assert notice.disable_notification is False  # Sam has no quiet hours


# --- downtime and misfires ----------------------------------------------------------------


async def test_an_occurrence_missed_while_down_is_sent_once_late_within_its_grace(
    steady: Steady,
) -> None:
    alex, _ = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    alex.mark_read()
    await steady.stop()
    steady.clock.set(utc(2026, 3, 2, 13, 45))  # 2 h 15 min late; check-in grace is 3 h
    await steady.start()
    await alex.expect(texts.CHECKIN_PROMPT)
    await steady.restart()  # and again: nothing twice
    await steady.settle()
    assert len(received(alex, texts.CHECKIN_PROMPT)) == 1


async def test_an_occurrence_missed_beyond_its_grace_is_recorded_as_skipped(steady: Steady) -> None:
    alex, _ = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    await steady.stop()
    steady.clock.set(utc(2026, 3, 2, 14, 31))  # 3 h 1 min late
    await steady.start()
    await steady.settle()
    assert received(alex, texts.CHECKIN_PROMPT) == []
    assert {(s, w) for _, s, w in await occurrences(steady)} == {
        ("skipped", "Alex"),
        ("skipped", "Sam"),
    }


@pytest.mark.parametrize(
    ("kind", "grace_minutes"),
    [("nudge", 120), ("checkin", 180), ("date", 360), ("talk", 60), ("question", 720)],
)
async def test_each_kind_has_its_own_grace(steady: Steady, kind: str, grace_minutes: int) -> None:
    alex, _ = await couple_in(steady, "UTC", "UTC")
    await add(alex, f"{kind} 12:00 daily")
    for minutes_late, expected in ((grace_minutes - 1, "sent"), (grace_minutes + 1, "skipped")):
        await steady.stop()
        day = steady.clock.now().replace(hour=12, minute=0) + timedelta(days=1)
        steady.clock.set(day + timedelta(minutes=minutes_late))
        await steady.start()
        await steady.settle()
        mine = [s for at, s, who in await occurrences(steady) if who == "Alex" and at == day]
        assert mine == [expected], (minutes_late, mine)


async def test_after_days_of_downtime_only_the_latest_occurrence_may_be_sent(
    steady: Steady,
) -> None:
    alex, _ = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    alex.mark_read()
    await steady.stop()
    steady.clock.set(utc(2026, 3, 5, 12, 0))  # three days later, 13:00 in Berlin
    await steady.start()
    await alex.expect(texts.CHECKIN_PROMPT)
    await steady.settle()
    assert [m.shown for m in alex.unread] == []  # one message, not a flood
    mine = [(at, s) for at, s, who in await occurrences(steady) if who == "Alex"]
    assert mine == [
        (utc(2026, 3, 2, 11, 30), "skipped"),
        (utc(2026, 3, 3, 11, 30), "skipped"),
        (utc(2026, 3, 4, 11, 30), "skipped"),
        (utc(2026, 3, 5, 11, 30), "sent"),
    ]


async def test_back_from_downtime_inside_quiet_hours_nothing_comes_with_sound(
    steady: Steady,
) -> None:
    alex, _ = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await alex.send("/quiet 22:00-07:00")
    await alex.expect("Quiet hours")
    await add(alex, "checkin 21:00 daily")  # grace 3 h
    await steady.stop()
    steady.clock.set(utc(2026, 3, 2, 21, 30))  # 22:30 in Berlin: late, and quiet now
    await steady.start()
    await steady.walk(timedelta(hours=12))
    assert received(alex, texts.CHECKIN_PROMPT) == []
    assert [s for _, s, w in await occurrences(steady) if w == "Alex"] == ["skipped"]


# --- what never fires ---------------------------------------------------------------------


async def test_a_ritual_of_a_couple_that_unpaired_never_fires(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    await alex.send("/unpair")
    await alex.expect("Unpair from Sam?")
    await alex.press(texts.UNPAIR_YES_BUTTON)
    await sam.expect("has ended your pairing")
    await steady.walk(timedelta(days=2))
    assert received(alex, texts.CHECKIN_PROMPT) == received(sam, texts.CHECKIN_PROMPT) == []
    async with steady.rt.db.transaction() as session:
        assert list(await session.scalars(select(RitualSlot))) == []


async def test_a_partner_who_blocked_the_bot_has_rituals_paused_and_the_other_is_told_once(
    steady: Steady,
) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "checkin 12:30 daily")
    await sam.expect("Alex added a ritual for you both")
    await steady.settle()
    sam.chat.blocked = True
    await steady.walk(timedelta(days=3))
    notices = received(alex, "Steady can't reach Sam on Telegram right now")
    assert len(notices) == 1
    sam_occurrences = [s for _, s, w in await occurrences(steady) if w == "Sam"]
    assert sam_occurrences == ["failed"]  # tried once; then paused, not retried daily
    assert len(received(alex, texts.CHECKIN_PROMPT)) == 3  # Alex's own half goes on
    sam.chat.blocked = False
    await sam.send("/status")  # Sam is back
    await alex.expect("Sam is back in Steady, so their rituals are on again")
    await steady.advance_to(utc(2026, 3, 5, 11, 30))
    await sam.expect(texts.CHECKIN_PROMPT)


@pytest.mark.parametrize(
    ("kind", "action"),
    [(callbacks.RITUAL_MENU, a) for a in "prd"] + [(callbacks.RITUAL_NOTICE, a) for a in "kx"],
)
async def test_a_button_naming_the_hidden_digest_is_stale_and_changes_nothing(
    steady: Steady, kind: str, action: str
) -> None:
    """Found by the property test: a forged button naming the couple's hidden weekly digest
    ritual crashed the handler. It is not one of the rituals people manage."""
    alex, _sam = await pair(steady)
    async with steady.rt.db.transaction() as session:
        digest = await session.scalar(select(Ritual).where(Ritual.kind == "digest"))
        assert digest is not None
        before = (digest.id, digest.paused)
    await alex.send("/help")
    message = await alex.expect("Here's what I can do")
    answer = await alex.press_data(callbacks.pack(kind, action, before[0]), message)
    assert answer.text == texts.BUTTON_STALE
    async with steady.rt.db.transaction() as session:
        digest = await session.scalar(select(Ritual).where(Ritual.kind == "digest"))
        assert digest is not None and (digest.id, digest.paused) == before
