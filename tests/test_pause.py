"""The safe word and the pause: agreed first, then "I need a moment" — the partner is told
neutrally with the time of return, rituals and relays wait, and both come back together."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import texts
from bot.db import Database
from bot.db.models import Agreement, Delivery, Pause, Person
from bot.services import pause
from tests.faketelegram import FakeUser, Message
from tests.harness import T0, Steady
from tests.stories import agree_phrase, pair
from tests.test_authorisation import snapshot


async def zones(*users: FakeUser, zone: str = "UTC") -> None:
    for user in users:
        await user.send(f"/timezone {zone}")
        await user.expect(f"Your time zone is {zone}")
        await user.server.settle()  # and the starter set a first zone brings


async def agree_safe_word(alex: FakeUser, sam: FakeUser, word: str) -> None:
    await alex.send(f"/safeword {word}")
    await alex.expect(f"I've asked Sam to agree to “{word}”")
    ask = await sam.expect(f"Alex suggests “{word}” as your safe word")
    await sam.press(texts.AGREE_BUTTON, ask)
    await alex.expect(f"Sam agreed: “{word}” is your safe word now")


async def take_a_moment(user: FakeUser, length: str) -> Message:
    """/pause and a length; returns the message, which now says when they'll be back."""
    await user.send("/pause")
    ask = await user.expect(texts.PAUSE_ASK)
    await user.press(length, ask)
    await user.server.settle()
    return ask


async def test_safe_word_is_agreed_first_then_starts_a_pause_the_partner_hears_of_neutrally(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam, zone="Europe/Berlin")
    await alex.send("/safeword pineapple")
    await alex.expect("I've asked Sam to agree")
    ask = await sam.expect("Alex suggests “pineapple” as your safe word")
    # Until Sam agrees, the word is just a word.
    await alex.send("pineapple")
    await alex.expect("I only pass words to Sam when you ask me to")
    await sam.press(texts.AGREE_BUTTON, ask)
    await steady.settle()
    assert ask.shown == texts.safeword_agreed("pineapple")
    await alex.expect("Sam agreed: “pineapple” is your safe word now")

    await alex.send("  Pineapple! ")
    choose = await alex.expect(texts.PAUSE_ASK)
    assert choose.buttons == list(texts.PAUSE_LENGTHS)
    await alex.press("1 hour", choose)
    await steady.settle()
    # 09:00 UTC is 10:00 in Berlin: back at 11:00 on both clocks.
    assert choose.shown.startswith("Take the time you need. Sam knows you'll be back at 11:00")
    assert texts.BREATHE_TOGETHER_BUTTON in choose.buttons
    notice = await sam.expect("Alex needs a moment to settle")
    assert notice.shown == (
        "Alex needs a moment to settle. They'll be back at 11:00 (your time). "
        "Nothing you need to do now."
    )
    await sam.send("/status")
    status = await sam.expect("It's")
    assert "Alex is taking a moment until 11:00." in status.shown


async def test_the_moment_button_and_pause_work_without_a_safe_word(steady: Steady) -> None:
    alex, sam = await pair(steady)
    assert texts.MOMENT_BUTTON in alex.keyboard
    await alex.tap(texts.MOMENT_BUTTON)
    ask = await alex.expect(texts.PAUSE_ASK)
    await alex.press("20 minutes", ask)
    # Sam has no time zone yet: the time says which clock it is on.
    await sam.expect("They'll be back at 09:20 UTC (your time)")
    await alex.send("/pause")
    await alex.expect("You're taking a moment until 09:20 UTC. /resume ends it sooner.")


async def test_breathing_is_offered_right_away(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    await take_a_moment(alex, "20 minutes")
    offer = alex.last
    await alex.press(texts.BREATHE_TOGETHER_BUTTON, offer)
    await alex.expect(texts.BREATHE_START)
    assert offer.buttons == [] and offer.shown.endswith("\n\n✓ 🌬 Breathe with me")


async def test_during_a_pause_rituals_and_the_partners_request_wait_but_the_words_do_not(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await agree_phrase(sam, alex, "I'm right here.")
    await alex.send("/ritual add checkin 09:30 daily")
    await alex.expect("Added:")
    await take_a_moment(alex, "1 hour")
    await sam.expect("Alex needs a moment to settle")
    alex.mark_read()

    await sam.tap(texts.REASSURE_BUTTON)
    words = await sam.expect("💛 From Alex")
    assert "Alex is taking a moment until 10:00; they'll hear you asked when they're back." in (
        words.shown
    )
    await steady.advance(timedelta(minutes=31))
    await sam.expect(texts.CHECKIN_PROMPT)
    assert alex.unread == []  # neither the check-in nor Sam's request reach Alex yet

    await steady.advance_to(T0 + timedelta(hours=1))
    back = await alex.expect("Coming back together")
    assert back.buttons == list(texts.EXTEND_BUTTONS)
    await alex.expect(texts.CHECKIN_PROMPT)
    held = await alex.expect("While you took a moment:\n\nSam asked for reassurance.")
    assert "just now" not in held.shown
    await sam.expect("Alex is coming back. Two gentle ways to start")


async def test_a_pause_survives_a_restart_and_may_be_extended_once(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await take_a_moment(alex, "20 minutes")
    await sam.expect("back at 09:20 UTC")
    await steady.restart()
    await steady.advance(timedelta(minutes=20))
    back = await alex.expect("Coming back together")
    await sam.expect("Alex is coming back")
    another_hour = back.button_data(texts.EXTEND_BUTTONS[1])
    prompt = back.shown
    as_tapped = copy.deepcopy(back)  # the message as a quick second tap still shows it
    await alex.press(texts.EXTEND_BUTTONS[0], back)
    await sam.expect("Alex needs a little longer. They'll be back at 09:40 UTC (your time).")
    await steady.settle()
    # the question now reads as answered, in place
    answered = f"{prompt}\n\nOkay, a little longer. Back at 09:40 UTC."
    assert back.buttons == [] and back.shown == answered
    # A double tap: Telegram sends the message as it was when tapped, buttons and all.
    answer = await alex.press_data(another_hour, as_tapped)
    assert answer.text == texts.PAUSE_EXTEND_USED
    await steady.settle()
    assert back.shown == answered and back.buttons == []  # the answer it shows stays
    assert alex.unread == []
    await steady.advance(timedelta(minutes=20))
    again = await alex.expect("Coming back together")
    assert again.buttons == []  # extended once already
    await sam.expect("Alex is coming back")
    async with steady.rt.db.transaction() as session:
        pause = await session.scalar(select(Pause))
        assert pause is not None and pause.extended


async def test_resume_ends_a_pause_early_and_releases_what_waited(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(sam, alex, "Always.")
    await take_a_moment(alex, "2 hours")
    await sam.tap(texts.REASSURE_BUTTON)
    await sam.expect("💛 From Alex")
    await steady.advance(timedelta(minutes=30))
    alex.mark_read()
    await alex.send("/resume")
    back = await alex.expect("Coming back together")
    assert back.buttons == []  # ended early: there is nothing to extend
    await alex.expect("While you took a moment:\n\nSam asked for reassurance")
    await sam.expect("Alex is coming back")
    await alex.send("/resume")
    await alex.expect(texts.NOT_PAUSED)
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(Person.paused_until).where(Person.id == 1)) is None
    # Nothing more comes at the old end of the pause.
    await steady.advance(timedelta(hours=2))
    assert not [m for m in alex.unread if "Coming back" in m.shown]


async def test_until_tomorrow_morning_means_eight_on_their_own_clock(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await zones(alex, zone="America/New_York")  # 04:00 there: this morning at 08:00
    await zones(sam, zone="Asia/Tokyo")
    shown = await take_a_moment(alex, "Until tomorrow morning")
    assert "Sam knows you'll be back at 08:00" in shown.shown
    await sam.expect("They'll be back at 22:00 (your time)")


async def test_bad_safe_words_and_pauses_get_a_correction_and_change_nothing(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    before = await snapshot(steady)
    for bad in ("/nope", "one two three four", "x" * 40, "...", texts.MOMENT_BUTTON):
        await alex.send(f"/safeword {bad}")
        await alex.expect(texts.SAFEWORD_BAD)
    await alex.send("/safeword")
    await alex.expect("You don't have a safe word yet")
    await alex.send("/safeword off")
    await alex.expect(texts.SAFEWORD_NOTHING_TO_CLEAR)
    await alex.send("/resume")
    await alex.expect(texts.NOT_PAUSED)
    assert await snapshot(steady) == before
    loner = steady.user("Zoe")
    await loner.start()
    for command in ("/pause", "/safeword kiwi"):
        await loner.send(command)
        await loner.expect(texts.NOT_PAIRED)
    assert sam.unread == []


async def test_a_safe_word_can_be_declined_and_turned_off(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/safeword kiwi")
    ask = await sam.expect("Alex suggests “kiwi”")
    await sam.press(texts.DECLINE_BUTTON, ask)
    await alex.expect("Sam would rather not use “kiwi”")
    await agree_safe_word(alex, sam, "harbour")
    await sam.send("/safeword")
    await sam.expect("Your safe word is “harbour”")
    await alex.send("/safeword harbour")
    await alex.expect(texts.SAFEWORD_SAME)
    await sam.send("/safeword off")
    await sam.expect(texts.SAFEWORD_OFF)
    await alex.expect("Sam turned the safe word off")
    async with steady.rt.db.transaction() as session:
        assert list(await session.scalars(select(Agreement))) == []
    await alex.send("harbour")
    await alex.expect("I only pass words to Sam")


async def test_resume_brings_forward_only_what_the_pause_held(steady: Steady) -> None:
    """Words held for "Breathe first" wait their minute, pause or not: /resume does not
    hurry them past the offer."""
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "Always.")
    await alex.send("/balance 1 2h")
    ask = await sam.expect("Alex suggests a balance setting")
    await sam.press(texts.AGREE_BUTTON, ask)
    await alex.expect("Sam agreed")
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("💛 From Sam")
    await take_a_moment(alex, "1 hour")
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect(texts.BREATHE_FIRST)
    await alex.send("/resume")
    await alex.expect("Coming back together")
    await steady.settle()
    assert not [m for m in alex.unread if "💛 From Sam" in m.shown]
    await steady.advance(timedelta(minutes=1))
    await alex.expect("💛 From Sam")


async def test_an_old_return_prompt_cannot_stretch_a_newer_moment(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    await take_a_moment(alex, "20 minutes")
    await steady.advance(timedelta(minutes=20))
    old = await alex.expect("Coming back together")
    await take_a_moment(alex, "1 hour")  # a new moment, begun at 09:20
    answer = await alex.press(texts.EXTEND_BUTTONS[1], old)
    assert answer.text == texts.PAUSE_EXTEND_LATE
    await steady.settle()
    assert old.shown.endswith(f"\n\n{texts.PAUSE_EXTEND_LATE}") and old.buttons == []
    async with steady.rt.db.transaction() as session:
        ends = await session.scalar(
            select(Person.paused_until).where(Person.telegram_id == alex.id)
        )
    assert ends == T0 + timedelta(minutes=80)


async def test_an_extension_never_takes_a_moment_past_a_day(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await steady.advance_to(datetime(2026, 3, 3, 8, 30, tzinfo=UTC))
    alex.mark_read()
    sam.mark_read()
    await take_a_moment(alex, "Until tomorrow morning")  # 08:00 on the 4th: 23½ hours
    await steady.advance_to(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    back = await alex.expect("Coming back together")
    await alex.press(texts.EXTEND_BUTTONS[1], back)
    await sam.expect("They'll be back at 08:30 (your time)")
    await steady.settle()
    assert back.shown.endswith(texts.pause_extended("08:30"))
    async with steady.rt.db.transaction() as session:
        pause = await session.scalar(select(Pause))
    assert pause is not None and pause.ends_at - pause.started_at == timedelta(hours=24)


async def test_the_safe_word_keeps_a_half_written_reply_armed(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_safe_word(alex, sam, "pineapple")
    await alex.send("/trigger the plans changed last minute")
    ask = await alex.expect(texts.TRIGGER_FEELING_ASK)
    await alex.press(texts.OTHER_BUTTON, ask)
    await alex.expect(texts.TRIGGER_FEELING_TYPE)
    await alex.send("pineapple")
    await alex.expect(texts.PAUSE_ASK)
    await alex.send("left out")
    await alex.expect(texts.TRIGGER_NEED_ASK)


# --- a pause holds everything from the partner, and releases one bundle -------------------------


async def berlin_and_new_york(steady: Steady) -> tuple[FakeUser, FakeUser]:
    """Alex in Berlin, Sam in New York (09:00 UTC: 10:00 and 04:00)."""
    alex, sam = await pair(steady)
    await zones(alex, zone="Europe/Berlin")
    await zones(sam, zone="America/New_York")
    return alex, sam


def bundles(user: FakeUser) -> list[Message]:
    return [m for m in user.inbox if m.shown.startswith(texts.PAUSE_BUNDLE_HEAD)]


async def test_a_pause_holds_everything_the_partner_sends_and_releases_one_bundle(
    steady: Steady,
) -> None:
    alex, sam = await berlin_and_new_york(steady)
    await agree_phrase(alex, sam, "I'm right here.")
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("💛 From Sam")
    asked = await sam.expect("Alex asked for reassurance just now")
    await sam.send("/note A note for later.")
    await sam.expect("Saved")
    await take_a_moment(alex, "1 hour")
    await sam.expect("They'll be back at 05:00 (your time)")
    alex.mark_read()
    since = len(alex.inbox)

    # Everything Sam sends on his own behalf while Alex takes her moment.
    await sam.press(texts.REPLY_HERE, asked)
    await sam.press(texts.REPLY_CALL, asked)
    await sam.press(texts.REPLY_WRITE, asked)
    await sam.expect("The next text you send goes to Alex")
    await sam.send("Take all the time you need.")
    await sam.expect("Sent to Alex.")
    await sam.send("/journal Our walk by the river")
    await sam.expect("Added to your journal")
    await sam.send("/ritual add nudge 04:30 weekdays")  # 10:30 in Berlin, mid-moment
    await sam.expect("Added:")
    await sam.tap(texts.REASSURE_BUTTON)
    await sam.expect("There are no agreed words from Alex yet")
    await steady.advance_to(T0 + timedelta(minutes=30))  # the note written ahead falls due
    await steady.advance_to(T0 + timedelta(minutes=59))
    assert alex.unread == []

    await steady.advance_to(T0 + timedelta(hours=1))
    await alex.expect("Coming back together")
    bundle = await alex.expect(texts.PAUSE_BUNDLE_HEAD)
    await steady.settle()
    # One message, each item's words, newest last; with sound, it's 11:00 in Berlin.
    items = [
        texts.from_partner("Sam", texts.REPLY_HERE),
        texts.from_partner("Sam", texts.REPLY_CALL),
        texts.from_partner("Sam", "Take all the time you need."),
        texts.journal_notice("Sam", "Our walk by the river"),
        "Sam added a ritual for you both: ",
        "Sam asked for reassurance. There are no agreed words yet",
        texts.letter_from("Sam", "A note for later."),
    ]
    where = [bundle.shown.find(item) for item in items]
    assert -1 not in where and where == sorted(where), bundle.shown
    assert not bundle.disable_notification
    # Under it, every held message's buttons, each label once (the newest 💛 / ✍️ Reply stand
    # for all of them): Sam's request can still be answered, and so can his note.
    labels = bundle.buttons
    assert len(labels) == len(set(labels)), labels
    for label in (texts.REPLY_HERE, texts.REPLY_WRITE, texts.TAPBACK_BUTTON):
        assert label in labels, labels
    await alex.press(texts.REPLY_HERE, bundle)
    await sam.expect(texts.from_partner("Alex", texts.REPLY_HERE))
    await alex.press(texts.TAPBACK_BUTTON, bundle)
    await sam.expect("Alex sent 💛 back")
    # Words typed after reading the bundle answer it, as after any of Sam's messages.
    await alex.send("Thank you, love.")
    await alex.expect(texts.send_this("Sam"))
    assert len(alex.unread) == 0
    # Nothing it held comes again on its own, later.
    await steady.walk(timedelta(hours=13))
    assert len(bundles(alex)) == 1
    later = alex.inbox[since:]
    assert not [m for m in later if m.shown.startswith(("From Sam", "📓", "💌", "Sam "))]


async def test_resume_in_quiet_hours_brings_the_bundle_without_sound(steady: Steady) -> None:
    alex, sam = await berlin_and_new_york(steady)
    await alex.send("/quiet 22:00-07:00")
    await alex.expect("Quiet hours")
    await steady.advance_to(datetime(2026, 3, 2, 21, 30, tzinfo=UTC))  # 22:30 Berlin, 16:30 NY
    await take_a_moment(alex, "2 hours")
    await sam.expect("They'll be back at 18:30 (your time)")
    await sam.tap(texts.REASSURE_BUTTON)
    await sam.expect("There are no agreed words from Alex yet")
    await sam.send("/journal Dinner was lovely")
    await sam.expect("Added to your journal")
    await steady.advance(timedelta(minutes=15))
    alex.mark_read()
    await alex.send("/resume")
    await alex.expect("Coming back together")
    bundle = await alex.expect(texts.PAUSE_BUNDLE_HEAD)
    assert bundle.disable_notification  # 22:45 in Berlin: inside Alex's quiet hours
    assert bundle.shown.index("Sam asked for reassurance") < bundle.shown.index("Dinner")
    # Nothing more at the old end of the moment, nor ever.
    await steady.advance(timedelta(hours=3))
    assert len(bundles(alex)) == 1
    assert not [m for m in alex.unread if "Dinner" in m.shown]


async def test_a_pause_that_ended_is_never_announced_to_a_partner_who_was_pausing_too(
    steady: Steady,
) -> None:
    alex, sam = await berlin_and_new_york(steady)
    await take_a_moment(alex, "1 hour")
    await sam.expect("Alex needs a moment to settle")
    shown = await take_a_moment(sam, "20 minutes")
    # Alex is not told now, so Sam does not hear "Alex knows you'll be back".
    assert "Alex knows" not in shown.shown
    assert "Alex is taking a moment too" in shown.shown
    await steady.advance_to(T0 + timedelta(minutes=20))
    await sam.expect("Coming back together")
    await steady.advance_to(T0 + timedelta(hours=1))
    await alex.expect("Coming back together")
    await sam.expect("Alex is coming back")
    await steady.walk(timedelta(hours=2))
    assert not [m for m in alex.inbox if "Sam needs" in m.shown or "Sam is coming" in m.shown]
    assert bundles(alex) == [] and bundles(sam) == []


async def test_a_pause_still_going_is_announced_when_the_partners_own_ends(
    steady: Steady,
) -> None:
    alex, sam = await berlin_and_new_york(steady)
    await take_a_moment(sam, "20 minutes")
    await alex.expect("Sam needs a moment to settle")
    await take_a_moment(alex, "1 hour")
    await steady.advance_to(T0 + timedelta(minutes=20))
    await sam.expect("Coming back together")
    bundle = await sam.expect(texts.PAUSE_BUNDLE_HEAD)
    assert "Alex needs a moment to settle. They'll be back at 05:00 (your time)." in bundle.shown
    await steady.advance_to(T0 + timedelta(hours=1))
    await sam.expect("Alex is coming back")


async def test_a_pause_that_ends_while_the_bot_is_down_still_brings_one_bundle(
    steady: Steady,
) -> None:
    alex, sam = await berlin_and_new_york(steady)
    await agree_phrase(sam, alex, "Always.")
    await take_a_moment(alex, "20 minutes")
    await sam.tap(texts.REASSURE_BUTTON)
    await sam.expect("💛 From Alex")
    await sam.send("/journal A quiet morning")
    await sam.expect("Added to your journal")
    await steady.stop()
    steady.clock.set(T0 + timedelta(minutes=45))
    await steady.start()
    await steady.settle()
    bundle = await alex.expect(texts.PAUSE_BUNDLE_HEAD)
    assert "Sam asked for reassurance" in bundle.shown and "A quiet morning" in bundle.shown
    assert len(bundles(alex)) == 1
    assert not [m for m in alex.inbox if m.shown.startswith("📓")]


async def test_a_pause_holds_shares_nudges_and_proposals_too(steady: Steady) -> None:
    from tests.test_triggers import describe

    alex, sam = await berlin_and_new_york(steady)
    await sam.send("/ritual add checkin 04:10 daily")  # 10:10 in Berlin, mid-moment
    await sam.expect("Added:")
    await sam.send("/ritual add nudge 04:20 weekdays")
    await sam.expect("Added:")
    await take_a_moment(alex, "1 hour")
    await sam.expect("Alex needs a moment to settle")
    alex.mark_read()
    since = len(alex.inbox)

    offer = await describe(sam, "You went quiet", "alone", "closeness")
    await sam.press("💬 Share with Alex", offer)
    await sam.expect("Shared with Alex.")
    await sam.send("/phrase Tell me we're okay.")
    await sam.expect("Sent to")
    await sam.send("/balance 3 2h")
    await sam.expect("I've asked Alex to agree")
    await steady.advance_to(T0 + timedelta(minutes=10))
    prompt = await sam.expect(texts.CHECKIN_PROMPT)
    await sam.press("4 🙂", prompt)
    await steady.advance_to(T0 + timedelta(minutes=20))
    nudge = await sam.expect("Thinking of Alex?")
    await sam.press("You're on my mind.", nudge)
    await steady.advance_to(T0 + timedelta(minutes=59))
    assert alex.inbox[since:] == []

    await steady.advance_to(T0 + timedelta(hours=1))
    bundle = await alex.expect(texts.PAUSE_BUNDLE_HEAD)
    for item in (
        "Sam wanted to share something",
        "Tell me we're okay.",
        "Sam suggests a balance setting",
        "Sam checked in: 4 🙂",
        texts.nudge_from("Sam", "You're on my mind."),
    ):
        assert item in bundle.shown, bundle.shown
    await steady.settle()
    assert [m for m in alex.inbox[since:] if "Sam" in m.shown] == [bundle]
    # The words Sam asked for and the balance both have ✅ Agree and ✖ Decline (and the
    # rituals ✖ Decline): those items are numbered, and their buttons say which they answer.
    ask = next(n for n in range(1, 9) if f"[{n}] Sam would find these words" in bundle.shown)
    assert texts.bundle_label(texts.AGREE_BUTTON, ask) in bundle.buttons
    assert len(bundle.buttons) == len(set(bundle.buttons)), bundle.buttons
    await alex.press(texts.bundle_label(texts.AGREE_BUTTON, ask), bundle)
    await sam.expect("Alex agreed to say:\n“Tell me we're okay.”")


async def test_two_processes_ending_the_same_pause_make_one_bundle(steady: Steady) -> None:
    alex, sam = await berlin_and_new_york(steady)
    await agree_phrase(sam, alex, "Always.")
    await take_a_moment(alex, "20 minutes")
    await sam.tap(texts.REASSURE_BUTTON)
    await sam.expect("💛 From Alex")
    await sam.send("/journal Coffee for two")
    await sam.expect("Added to your journal")
    await steady.stop()
    end = T0 + timedelta(minutes=20)
    two = [Database(steady.settings.database_url) for _ in range(2)]

    async def end_pauses(db: Database) -> int:
        async with db.transaction() as session:
            return await pause.end_due(session, end, 10)

    try:
        ended = await asyncio.gather(*(end_pauses(db) for db in two))
    finally:
        for db in two:
            await db.dispose()
    assert sorted(ended) == [0, 1]
    steady.clock.set(end)
    await steady.start()
    await steady.settle()
    bundle = await alex.expect(texts.PAUSE_BUNDLE_HEAD)
    assert "Sam asked for reassurance" in bundle.shown and "Coffee for two" in bundle.shown
    assert len(bundles(alex)) == 1
    async with steady.rt.db.transaction() as session:
        held = list(await session.scalars(select(Delivery).where(Delivery.status == pause.BUNDLED)))
    assert len(held) == 2 and all(row.payload is None for row in held)


async def test_answering_one_question_in_a_bundle_keeps_the_rest_of_it(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm right here.")
    await alex.tap(texts.REASSURE_BUTTON)
    asked = await sam.expect("Alex asked for reassurance just now")
    await take_a_moment(alex, "1 hour")
    await sam.press(texts.REPLY_WRITE, asked)
    await sam.expect("The next text you send goes to Alex")
    await sam.send("Take all the time you need.")
    await sam.expect("Sent to Alex.")
    await sam.send("/phrase You're safe with me.")  # Sam asks Alex for words
    await sam.expect("Sent to")
    await alex.send("/resume")
    bundle = await alex.expect(texts.PAUSE_BUNDLE_HEAD)
    await steady.settle()
    held = bundle.shown
    assert texts.AGREE_BUTTON in bundle.buttons and texts.TAPBACK_BUTTON in bundle.buttons

    await alex.press(texts.AGREE_BUTTON, bundle)
    await sam.expect("Alex agreed to say:\n“You're safe with me.”")
    await steady.settle()
    # The bundle keeps every word it brought, says what was answered, and keeps the other
    # message's buttons; only the answered question's row went.
    assert bundle.shown == f"{held}\n\nYou agreed to say: “You're safe with me.”"
    assert bundle.buttons == [texts.TAPBACK_BUTTON, texts.WARM_REPLY_BUTTON]
    await alex.press(texts.TAPBACK_BUTTON, bundle)
    await sam.expect("Alex sent 💛 back")


def test_a_long_bundle_is_split_with_a_head_on_every_part() -> None:
    items = [f"From Sam: {n} " + "words " * 300 for n in range(8)]  # ~1,800 characters each
    parts = texts.pause_bundle(items)
    assert len(parts) > 1
    assert all(texts.utf16_len(part) <= texts.MESSAGE_MAX_CHARS for part in parts)
    assert all(texts.is_bundle(part) for part in parts)
    assert parts[0].startswith(texts.PAUSE_BUNDLE_HEAD)
    assert parts[1].startswith(texts.PAUSE_BUNDLE_MORE)
    joined = "\n\n".join(parts)
    assert [joined.find(item) for item in items] == sorted(joined.find(item) for item in items)
    assert all(joined.count(item) == 1 for item in items)


async def test_two_held_questions_alike_are_both_answerable_after_a_pause(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await take_a_moment(alex, "1 hour")
    await sam.send("/phrase You're safe with me.")
    await sam.expect("Sent to")
    await sam.send("/phrase I'm proud of you.")
    await sam.expect("Sent to")
    alex.mark_read()
    await alex.send("/resume")
    await steady.settle()
    # Two ✅ Agree buttons under one message could not say which is which: both questions are
    # numbered, and so are their buttons.
    (bundle,) = bundles(alex)
    assert "[1] " in bundle.shown and "[2] " in bundle.shown
    assert bundle.shown.index("You're safe with me.") < bundle.shown.index("I'm proud of you.")
    assert bundle.buttons == [
        texts.bundle_label(label, number)
        for number in (1, 2)
        for label in (texts.AGREE_BUTTON, texts.EDIT_BUTTON, texts.DECLINE_BUTTON)
    ]
    await alex.press(texts.bundle_label(texts.AGREE_BUTTON, 2), bundle)
    await sam.expect("Alex agreed to say:\n“I'm proud of you.”")
    await steady.settle()
    assert bundle.shown.endswith("\n\n[2] You agreed to say: “I'm proud of you.”")
    assert texts.bundle_label(texts.AGREE_BUTTON, 1) in bundle.buttons  # the other stays
    await alex.press(texts.bundle_label(texts.DECLINE_BUTTON, 1), bundle)
    await sam.expect("Alex would rather not")
