"""Warmth can be answered, and a hard moment too: Alice in Berlin, Bob in New York. Everything
that carries the partner's words has 💛 (once) and ✍️ Reply; words typed just after are offered,
not refused; a check-in at 1 or 2 gives the partner a hug, a call or words to send; after
soothing, "I'm okay now" is one optional tap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import texts
from bot.services import comfort, replies
from bot.services.limits import RELAYS_PER_HOUR
from tests.faketelegram import FakeUser, Message
from tests.harness import Steady
from tests.stories import pair
from tests.test_pause import take_a_moment

WARM = [texts.TAPBACK_BUTTON, texts.WARM_REPLY_BUTTON]
HARD = [texts.HUG_BUTTON, texts.CALL_BUTTON, texts.WRITE_BUTTON]


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


async def apart(steady: Steady) -> tuple[FakeUser, FakeUser]:
    """Alice in Berlin, Bob in New York, paired."""
    alice, bob = await pair(steady, "Alice", "Bob")
    for user, zone in ((alice, "Europe/Berlin"), (bob, "America/New_York")):
        await user.send(f"/timezone {zone}")
        await user.expect(f"Your time zone is {zone}")
        await user.server.settle()  # and the starter set a first zone brings
    return alice, bob


async def bobs_nudge(steady: Steady, alice: FakeUser, bob: FakeUser) -> Message:
    """Bob's nudge at 15:00 his time (21:00 in Berlin): he taps a note; Alice gets it."""
    await bob.send("/ritual add nudge 15:00 weekdays")
    await bob.expect("Added:")
    await steady.advance_to(utc(3, 2, 20))  # Monday 15:00 in New York
    await bob.press("You're on my mind.", await bob.expect("Thinking of Alice?"))
    return await alice.expect("💭 Bob is thinking of you")


def count(user: FakeUser, text: str) -> int:
    return sum(text in m.shown for m in user.inbox)


async def test_a_nudge_is_answered_with_one_tap_back_once(steady: Steady) -> None:
    alice, bob = await apart(steady)
    note = await bobs_nudge(steady, alice, bob)
    assert note.buttons == WARM
    answer = await alice.press(texts.TAPBACK_BUTTON, note)
    assert answer.text == texts.reply_sent("Bob")
    back = await bob.expect(texts.tapped_back("Alice"))
    assert back.buttons == []  # 💛 for a 💛 would never end
    again = await alice.press(texts.TAPBACK_BUTTON, note)
    assert again.text == texts.TAPBACK_ALREADY
    await steady.settle()
    assert count(bob, texts.tapped_back("Alice")) == 1


async def test_reply_sends_her_next_message_to_him_as_hers_and_he_can_answer(
    steady: Steady,
) -> None:
    alice, bob = await apart(steady)
    await bob.send("/journal Pancakes on the balcony")
    entry = await alice.expect("📓 Bob added to your journal")
    assert entry.buttons == WARM
    await alice.press(texts.WARM_REPLY_BUTTON, entry)
    await alice.expect(texts.write_back_prompt("Bob"))
    await alice.send("Best morning in weeks.")
    await alice.expect(texts.written_back("Bob"))
    reply = await bob.expect(texts.from_partner("Alice", "Best morning in weeks."))
    assert reply.buttons == WARM
    await bob.press(texts.TAPBACK_BUTTON, reply)
    await alice.expect(texts.tapped_back("Bob"))


async def test_words_typed_after_a_note_are_offered_and_sent_only_on_a_tap(
    steady: Steady,
) -> None:
    alice, bob = await apart(steady)
    await bobs_nudge(steady, alice, bob)
    await alice.send("Haha love you too")
    ask = await alice.expect(texts.send_this("Bob"))
    assert ask.buttons == [texts.send_draft_button("Bob"), texts.KEEP_DRAFT_BUTTON]
    await steady.settle()
    assert count(bob, "Haha") == 0  # nothing goes unasked
    await alice.press(texts.send_draft_button("Bob"), ask)
    await bob.expect(texts.from_partner("Alice", "Haha love you too"))
    await steady.settle()
    assert ask.shown == texts.written_back("Bob") and ask.buttons == []
    # Kept: nothing is sent, and the old button does nothing.
    await alice.send("Actually, never mind")
    ask = await alice.expect(texts.send_this("Bob"))
    data = ask.button_data(texts.send_draft_button("Bob"))
    await alice.press(texts.KEEP_DRAFT_BUTTON, ask)
    await steady.settle()
    assert ask.shown == texts.DRAFT_KEPT
    assert (await alice.press_data(data, ask)).text == texts.BUTTON_STALE
    await steady.settle()
    assert count(bob, "never mind") == 0
    # Long after his note, text is not an answer to it: the usual pointer.
    await steady.advance(replies.DRAFT_WINDOW + timedelta(minutes=1))
    await alice.send("What's for dinner?")
    await alice.expect("I only pass words to Bob when you ask me to")


async def test_a_tap_back_in_his_quiet_hours_arrives_without_sound_across_his_dst_change(
    steady: Steady,
) -> None:
    alice, bob = await apart(steady)
    await bob.send("/quiet 22:00-07:00")
    await bob.expect("Quiet hours")
    note = await bobs_nudge(steady, alice, bob)
    # A week on, New York has moved its clocks (8 March) and Berlin not yet: 02:30 UTC is 22:30
    # for Bob now — quiet — where a week ago it was 21:30.
    await steady.advance_to(utc(3, 9, 2, 30))
    await alice.press(texts.TAPBACK_BUTTON, note)
    back = await bob.expect(texts.tapped_back("Alice"))
    assert back.disable_notification
    # And out of his quiet hours, the same kind of answer comes with sound.
    await bob.send("/journal Bagels")
    entry = await alice.expect("📓 Bob added to your journal")
    await steady.advance_to(utc(3, 9, 15))  # 11:00 in New York
    await alice.press(texts.TAPBACK_BUTTON, entry)
    loud = await bob.expect(texts.tapped_back("Alice"))
    assert not loud.disable_notification


async def test_answers_count_toward_the_hours_relay_limit(steady: Steady) -> None:
    alice, bob = await apart(steady)
    note = await bobs_nudge(steady, alice, bob)
    for n in range(RELAYS_PER_HOUR):
        await alice.send(f"/journal moment {n}")
        await alice.expect("Added to your journal")
    answer = await alice.press(texts.TAPBACK_BUTTON, note)
    assert answer.text is not None and "You've sent Bob" in answer.text
    await alice.send("love you")
    await alice.expect("You've sent Bob")
    await steady.settle()
    assert count(bob, texts.tapped_back("Alice")) == 0 and count(bob, "love you") == 0


async def test_a_tap_back_waits_while_he_takes_a_moment(steady: Steady) -> None:
    alice, bob = await apart(steady)
    note = await bobs_nudge(steady, alice, bob)
    await bob.send("/pause")
    await bob.press("20 minutes", await bob.expect(texts.PAUSE_ASK))
    await alice.expect("needs a moment")
    await alice.press(texts.TAPBACK_BUTTON, note)
    await steady.settle()
    assert count(bob, texts.tapped_back("Alice")) == 0
    await steady.advance(timedelta(minutes=20))
    await bob.expect(texts.tapped_back("Alice"))


# --- a hard moment ---------------------------------------------------------------------------


async def checked_in(steady: Steady, alice: FakeUser, mood: str) -> None:
    """Alice answers her 12:30 check-in (06:30 in New York, where Bob's is still to come)."""
    await alice.send("/ritual add checkin 12:30 daily")
    await alice.expect("Added:")
    await steady.advance_to(utc(3, 3, 11, 30))  # Tuesday 12:30 in Berlin
    await alice.press(mood, await alice.expect(texts.CHECKIN_PROMPT))


async def test_a_low_checkin_gives_him_a_hug_a_call_and_words_to_send_each_once(
    steady: Steady,
) -> None:
    alice, bob = await apart(steady)
    await checked_in(steady, alice, "2 😕")
    share = await bob.expect("Alice checked in: 2 😕")
    assert share.buttons == HARD
    assert (await bob.press(texts.HUG_BUTTON, share)).text == texts.reply_sent("Alice")
    hug = await alice.expect(texts.hug_from("Bob"))
    assert hug.buttons == WARM  # she can answer the hug too
    assert (await bob.press(texts.HUG_BUTTON, share)).text == texts.COMFORT_ALREADY
    await bob.press(texts.CALL_BUTTON, share)
    await alice.expect(texts.will_call("Bob"))
    await bob.press(texts.WRITE_BUTTON, share)
    await bob.expect(texts.write_back_prompt("Alice"))
    await bob.send("I'm thinking of you. Call at lunch?")
    await alice.expect(texts.from_partner("Bob", "I'm thinking of you. Call at lunch?"))
    await steady.settle()
    assert count(alice, texts.hug_from("Bob")) == 1
    # Never an alert, never repeated: the day brings Bob only his own check-in.
    bob.mark_read()
    await steady.walk(timedelta(days=1))
    assert [m.shown for m in bob.unread] == [texts.CHECKIN_PROMPT]


async def test_a_good_checkin_brings_the_usual_answers_and_her_words_join_it(
    steady: Steady,
) -> None:
    alice, bob = await apart(steady)
    await checked_in(steady, alice, "4 🙂")
    share = await bob.expect("Alice checked in: 4 🙂")
    assert share.buttons == WARM
    # Words typed right after choosing the mood go with the check-in.
    await alice.send("Sunny walk at lunch.")
    await alice.expect(texts.written_back("Bob"))
    added = await bob.expect("Alice added to their check-in: Sunny walk at lunch.")
    assert added.buttons == WARM


async def ground_to_the_end(steady: Steady, alice: FakeUser) -> None:
    await alice.send("/ground")
    step = await alice.expect("Name 5 things")
    for _ in texts.GROUND_STEPS:
        await alice.press(texts.GROUND_NEXT, step)
        await steady.settle()  # the next step is on screen before the next tap
    assert step.shown == texts.GROUND_DONE


async def test_after_grounding_she_can_tell_him_she_is_okay_with_one_tap_offered_once(
    steady: Steady,
) -> None:
    alice, bob = await apart(steady)
    for _ in range(2):  # two exercises in one hard moment: one offer
        await ground_to_the_end(steady, alice)
    offer = await alice.expect(texts.okay_offer("Bob"))
    assert offer.buttons == [texts.OKAY_BUTTON]
    await steady.settle()
    assert count(alice, texts.okay_offer("Bob")) == 1
    assert count(bob, "okay") == 0  # optional: nothing until she taps
    assert (await alice.press(texts.OKAY_BUTTON, offer)).text == texts.okay_told("Bob")
    told = await bob.expect(texts.okay_now("Alice"))
    assert told.buttons == WARM
    await steady.settle()
    assert offer.buttons == []
    # Another hard moment, hours later: offered again.
    await steady.advance(comfort.OFFER_EVERY + timedelta(minutes=1))
    await ground_to_the_end(steady, alice)
    await alice.expect(texts.okay_offer("Bob"))


async def test_after_breathing_to_the_end_the_offer_comes(steady: Steady) -> None:
    alice, bob = await apart(steady)
    await alice.send("/breathe")
    await alice.expect(texts.BREATHE_START)
    offer = await alice.expect(texts.okay_offer("Bob"), timeout=15)
    await alice.press(texts.OKAY_BUTTON, offer)
    await bob.expect(texts.okay_now("Alice"))


async def test_a_time_typed_after_other_time_is_taken_as_that_time(steady: Steady) -> None:
    alice, bob = await apart(steady)
    starter = await alice.expect(texts.STARTER_INTRO)  # it follows her time zone
    nudge_row = starter.inline_rows[1]
    assert nudge_row[1]["text"] == texts.STARTER_OTHER_TIME
    await alice.press_data(nudge_row[1]["callback_data"], starter)
    await steady.settle()
    assert starter.shown == texts.STARTER_TYPE_TIME
    await alice.send("quarter past four")
    await alice.expect(texts.STARTER_BAD_TIME)
    await alice.send("16:15")
    added = await alice.expect("Added:")
    assert "16:15" in added.shown
    await bob.expect("Alice added a ritual")
    await alice.send("17:00")  # taken once: later text is just text
    await alice.expect("I only pass words to Bob")
    # A time tapped instead: a time typed later is just text too.
    await alice.press(texts.STARTER_BACK, starter)
    await steady.settle()
    await alice.press_data(starter.inline_rows[2][1]["callback_data"], starter)
    await steady.settle()
    await alice.press("➕ Weekly talk 20:00 Sundays", starter)
    await alice.expect("Added: Weekly talk")
    await alice.send("21:00")
    await alice.expect("I only pass words to Bob")


async def test_every_kind_of_the_partners_warmth_can_be_answered(steady: Steady) -> None:
    """A note written ahead, a reply to a request, a shared I-statement, a reconnect wish: each
    with 💛 and ✍️ Reply, and each 💛 reaches Bob."""
    alice, bob = await apart(steady)
    await bob.send("/note Proud of you")
    await bob.expect("Saved")
    await bob.send("/ritual add nudge 15:00 weekdays")
    await bob.expect("Added:")
    await steady.advance_to(utc(3, 2, 20))
    letter = await alice.expect("💌 A note Bob wrote for you")
    await alice.tap(texts.REASSURE_BUTTON)
    await bob.press(texts.REPLY_HERE, await bob.expect("Alice asked for reassurance"))
    here = await alice.expect(texts.from_partner("Bob", texts.REPLY_HERE))
    await bob.send("/trigger you were quiet at dinner")
    ask = await bob.expect(texts.TRIGGER_FEELING_ASK)
    await bob.press("scared", ask)
    await steady.settle()
    await bob.press("reassurance", ask)
    await steady.settle()
    await bob.press(texts.share_with_button("Alice"), ask)
    shared = await alice.expect("Bob wanted to share something")
    await bob.send("/away 2026-03-10")
    await bob.expect("Away until")
    await bob.send("/back")
    await bob.press(texts.RECONNECT_YES, await bob.expect(texts.RECONNECT))
    wish = await alice.expect("Bob would like 20 minutes to reconnect")
    for message in (letter, here, shared, wish):
        assert message.buttons == WARM, message.shown
        await alice.press(texts.TAPBACK_BUTTON, message)
    await steady.settle()
    assert count(bob, texts.tapped_back("Alice")) == 4


async def test_answers_to_a_hard_moment_wait_out_her_pause_and_come_in_one_bundle(
    steady: Steady,
) -> None:
    alice, bob = await apart(steady)
    await checked_in(steady, alice, "2 😕")
    share = await bob.expect("Alice checked in: 2 😕")
    await take_a_moment(alice, "1 hour")
    await bob.expect("needs a moment")
    alice.mark_read()
    await bob.press(texts.HUG_BUTTON, share)
    await bob.press(texts.CALL_BUTTON, share)
    await bob.press(texts.WRITE_BUTTON, share)
    await bob.expect(texts.write_back_prompt("Alice"))
    await bob.send("Here whenever you're ready.")
    await steady.settle()
    assert alice.unread == []  # nothing of it reaches her while she takes her moment
    await steady.advance(timedelta(hours=1))
    bundle = await alice.expect(texts.PAUSE_BUNDLE_HEAD)
    items = [
        texts.hug_from("Bob"),
        texts.will_call("Bob"),
        texts.from_partner("Bob", "Here whenever you're ready."),
    ]
    where = [bundle.shown.find(item) for item in items]
    assert -1 not in where and where == sorted(where), bundle.shown
    await steady.walk(timedelta(hours=13))
    assert count(alice, texts.PAUSE_BUNDLE_HEAD) == 1
    assert count(alice, texts.hug_from("Bob")) == 1  # only inside the bundle
    await alice.press(texts.TAPBACK_BUTTON, bundle)  # and she can answer it
    await bob.expect(texts.tapped_back("Alice"))
