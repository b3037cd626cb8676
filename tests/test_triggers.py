"""Triggers and I-statements: a private log; buttons for what was felt and needed; then an
I-statement to share, to bring to the next talk, or to keep private."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot import callbacks, texts
from bot.db.models import Trigger
from tests.faketelegram import FakeUser, Message
from tests.harness import Steady
from tests.stories import pair
from tests.test_pause import zones


async def describe(alex: FakeUser, what: str, feeling: str, need: str) -> Message:
    await alex.send(f"/trigger {what}")
    ask = await alex.expect(texts.TRIGGER_FEELING_ASK)
    assert ask.buttons == [*texts.FEELINGS, texts.OTHER_BUTTON]
    await alex.press(feeling, ask)
    await alex.server.settle()
    assert ask.shown == texts.TRIGGER_NEED_ASK
    await alex.press(need, ask)
    await alex.server.settle()
    return ask


async def test_a_trigger_becomes_an_i_statement_shared_only_when_chosen(steady: Steady) -> None:
    alex, sam = await pair(steady)
    offer = await describe(alex, "You didn't reply all afternoon", "scared", "reassurance")
    statement = "When you didn't reply all afternoon, I felt scared. I need reassurance."
    assert f"“{statement}”" in offer.shown
    assert offer.buttons == ["💬 Share with Sam", texts.FOR_TALK_BUTTON, texts.KEEP_PRIVATE_BUTTON]
    assert sam.unread == []  # private until Alex chooses
    await alex.press("💬 Share with Sam", offer)
    await alex.expect("Shared with Sam.")
    shared = await sam.expect("Alex wanted to share something")
    assert f"“{statement}”" in shared.shown


async def test_something_else_takes_typed_words(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/trigger the plans changed last minute")
    ask = await alex.expect(texts.TRIGGER_FEELING_ASK)
    await alex.press(texts.OTHER_BUTTON, ask)
    await alex.expect(texts.TRIGGER_FEELING_TYPE)
    await alex.send("left out")
    need = await alex.expect(texts.TRIGGER_NEED_ASK)
    await alex.press(texts.OTHER_BUTTON, need)
    await alex.expect(texts.TRIGGER_NEED_TYPE)
    await alex.send("x" * 61)
    await alex.expect("That's 61 characters")
    await alex.send("to plan together")
    offer = await alex.expect("Here's a way to say it")
    assert "“When the plans changed last minute, I felt left out. I need to plan together.”" in (
        offer.shown
    )
    await alex.press(texts.KEEP_PRIVATE_BUTTON, offer)
    await alex.expect(texts.TRIGGER_KEPT)
    # The offer's buttons went with the choice, and it reads as answered.
    await steady.settle()
    assert offer.buttons == []
    assert offer.shown.endswith(
        f"What would you like to do with it?\n\n✓ {texts.KEEP_PRIVATE_BUTTON}"
    )
    await alex.send("/triggers")
    listing = await alex.expect("Your log")
    assert "I felt left out" in listing.shown and "(private)" in listing.shown
    assert sam.unread == []


async def test_words_that_would_not_read_right_after_when_are_asked_for_again(
    steady: Steady,
) -> None:
    """ "When late reply, I felt scared" reads wrong: Alex is asked to finish "When you …", and
    her answer becomes the sentence. Words that already read right go straight on."""
    alex, sam = await pair(steady)
    await alex.send("/trigger late reply")
    again = await alex.expect("“late reply” — how would you finish “When you …”?")
    assert again.buttons == []
    async with steady.rt.db.transaction() as session:
        assert list(await session.scalars(select(Trigger))) == []  # nothing half-said is kept
    await alex.send("replied hours later")
    ask = await alex.expect(texts.TRIGGER_FEELING_ASK)
    await alex.press("scared", ask)
    await steady.settle()
    await alex.press("reassurance", ask)
    await steady.settle()
    assert "“When you replied hours later, I felt scared. I need reassurance.”" in ask.shown
    # Typed with its "When", or starting with someone, it is taken as it is.
    await alex.send("/trigger the silence after our call")
    await alex.expect("how would you finish “When you …”?")
    await alex.send("When Sam went quiet after our call")
    offer = await describe_from_feeling(alex, "alone", "closeness")
    assert "“When Sam went quiet after our call, I felt alone. I need closeness.”" in offer.shown
    offer = await describe(alex, "the door slammed", "scared", "to be heard")
    assert "“When the door slammed, I felt scared. I need to be heard.”" in offer.shown
    assert sam.unread == []


async def describe_from_feeling(alex: FakeUser, feeling: str, need: str) -> Message:
    ask = await alex.expect(texts.TRIGGER_FEELING_ASK)
    await alex.press(feeling, ask)
    await alex.server.settle()
    await alex.press(need, ask)
    await alex.server.settle()
    return ask


async def test_bring_it_to_the_next_talk_shows_it_to_both_at_the_talk(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await alex.send("/ritual add talk 18:00 wed")
    await alex.expect("Added:")
    offer = await describe(alex, "you checked your phone at dinner", "unimportant", "to be heard")
    await alex.press(texts.FOR_TALK_BUTTON, offer)
    await alex.expect(texts.TRIGGER_FOR_TALK)
    assert not [m for m in sam.unread if "phone" in m.shown]
    await steady.advance_to(datetime(2026, 3, 4, 18, 0, tzinfo=UTC))
    statement = "When you checked your phone at dinner, I felt unimportant. I need to be heard."
    for user in (alex, sam):
        talk = await user.expect("Time for your weekly talk")
        assert f"To bring up today:\n• Alex: “{statement}”" in talk.shown
    # The next week's talk has nothing left to bring up.
    await steady.advance_to(datetime(2026, 3, 11, 18, 0, tzinfo=UTC))
    talk = await alex.expect("Time for your weekly talk")
    assert "To bring up today" not in talk.shown
    await alex.send("/triggers")
    listing = await alex.expect("Your log")
    assert "(brought to a talk)" in listing.shown


async def test_bad_trigger_input_and_unfinished_ones_change_nothing(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    await alex.send("/trigger")
    await alex.expect(texts.TRIGGER_USAGE)
    await alex.send("/trigger " + "x" * 501)
    await alex.expect("That's 501 characters")
    await alex.send("/triggers")
    await alex.expect(texts.TRIGGERS_NONE)
    async with steady.rt.db.transaction() as session:
        assert list(await session.scalars(select(Trigger))) == []
    offer = await describe(alex, "you replied late", "alone", "closeness")
    await alex.press(texts.KEEP_PRIVATE_BUTTON, offer)
    await alex.expect(texts.TRIGGER_KEPT)
    answer = await alex.press_data(callbacks.pack(callbacks.TRIGGER, "s", 1), offer)
    assert answer.text == texts.PHRASE_ALREADY_ANSWERED


async def test_a_talk_brings_up_five_at_most_and_only_once_it_is_on_its_way(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await zones(alex, sam)
    await alex.send("/ritual add talk 18:00 wed")
    await alex.expect("Added:")
    for n in range(1, 8):
        offer = await describe(alex, f"it was moment number {n}", "alone", "closeness")
        await alex.press(texts.FOR_TALK_BUTTON, offer)
        await alex.expect(texts.TRIGGER_FOR_TALK)
    # Both are in quiet hours at the first talk, past its grace: nobody gets it, so nothing
    # counts as brought up.
    for user in (alex, sam):
        await user.send("/quiet 17:30-20:00")
        await user.expect("Quiet hours")
    await steady.advance_to(datetime(2026, 3, 4, 20, 30, tzinfo=UTC))
    assert not [m for m in alex.unread + sam.unread if "weekly talk" in m.shown]
    for user in (alex, sam):
        await user.send("/quiet off")
        await user.expect("Quiet hours")
    await steady.advance_to(datetime(2026, 3, 11, 18, 0, tzinfo=UTC))
    for user in (alex, sam):
        talk = await user.expect("Time for your weekly talk")
        assert [n for n in range(1, 8) if f"moment number {n}," in talk.shown] == [1, 2, 3, 4, 5]
    await steady.advance_to(datetime(2026, 3, 18, 18, 0, tzinfo=UTC))
    talk = await alex.expect("Time for your weekly talk")
    assert [n for n in range(1, 8) if f"moment number {n}," in talk.shown] == [6, 7]
