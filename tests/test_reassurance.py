"""One tap on 💛 Reassure me: words at once, the partner told, one-tap follow-ups."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import texts
from bot.db.models import Person, ReassuranceRequest
from bot.services import outbox
from tests.faketelegram import FakeTelegram, Fault, FaultPlan
from tests.harness import FakeClock, Steady, running_bot
from tests.stories import agree_phrase, pair


async def test_reassure_tap_delivers_agreed_words_while_partner_sleeps(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm not going anywhere.")
    sam.mark_read()
    # Sam does nothing from here on: asleep, phone face down.
    await alex.tap(texts.REASSURE_BUTTON)
    words = await alex.expect("From Sam")
    assert words.shown == "💛 From Sam:\n\n“I'm not going anywhere.”"
    notice = await sam.expect("Alex asked for reassurance just now")
    assert "“I'm not going anywhere.”" in notice.shown
    assert notice.buttons == [
        texts.REPLY_HERE,
        texts.REPLY_CALL,
        texts.REPLY_TONIGHT,
        texts.REPLY_WRITE,
    ]


async def test_reassure_command_does_the_same_as_the_button(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "You're safe.")
    await alex.send("/reassure")
    await alex.expect("“You're safe.”")
    await sam.expect("Alex asked for reassurance")


async def test_only_the_receivers_own_agreed_words_are_sent(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(sam, alex, "Words for Sam.")  # the other direction
    await alex.send("/phrase Not agreed yet.")  # pending, not live
    await sam.expect("Not agreed yet.")
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("There are no agreed words from Sam yet")


async def test_the_same_words_never_come_twice_in_a_row_while_there_are_others(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    options = ["I'm here.", "You matter.", "We're okay."]
    for words in options:
        await agree_phrase(alex, sam, words)
    received = []
    for _ in range(24):
        await alex.tap(texts.REASSURE_BUTTON)
        message = await alex.expect("From Sam")
        received.append(message.shown.split("“", 1)[1].rstrip("”"))
    assert all(a != b for a, b in itertools.pairwise(received)), received
    assert set(received) == set(options)


async def test_with_one_phrase_it_is_sent_every_time(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "Always.")
    for _ in range(3):
        await alex.tap(texts.REASSURE_BUTTON)
        await alex.expect("“Always.”")


async def test_quick_replies_reach_the_requester_at_once_as_the_partners_words(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm here.")
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("From Sam")
    notice = await sam.expect("asked for reassurance")
    for label in (texts.REPLY_HERE, texts.REPLY_CALL, texts.REPLY_TONIGHT):
        answer = await sam.press(label, notice)
        assert answer.text == "Sent to Alex."
        await alex.expect(f"From Sam: {label}")
    await steady.settle()
    assert notice.shown.endswith("\n✓ You replied: I'm here, I'll call soon, Let's talk tonight")
    assert notice.buttons  # still there for a further reply


async def test_a_double_tap_on_a_quick_reply_sends_it_once(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("asked for reassurance")
    first = await sam.press(texts.REPLY_HERE, notice)
    second = await sam.press(texts.REPLY_HERE, notice)
    await steady.settle()
    replies = [m for m in alex.inbox if m.shown == f"From Sam: {texts.REPLY_HERE}"]
    assert len(replies) == 1
    # The second tap says so, rather than "Sent to Alex." again.
    assert (first.text, second.text) == ("Sent to Alex.", "Already sent.")


async def test_write_back_relays_the_next_text_exactly_as_typed(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("asked for reassurance")
    await sam.press(texts.REPLY_WRITE, notice)
    await sam.expect("The next text you send goes to Alex as yours")
    typed = "In a meeting till 4 — <3 & *always* yours 🧡"
    await sam.send(typed)
    await sam.expect("Sent to Alex.")
    await alex.expect(f"From Sam: {typed}")
    # Only the next text: the one after is not relayed.
    await sam.send("note to self")
    await sam.expect("I only pass words to Alex when you ask me to")
    await steady.settle()
    assert not any("note to self" in m.shown for m in alex.inbox)


async def test_write_back_can_be_cancelled(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("asked for reassurance")
    await sam.press(texts.REPLY_WRITE, notice)
    prompt = await sam.expect("The next text you send")
    await sam.press(texts.CANCEL_BUTTON, prompt)
    await steady.settle()
    assert prompt.shown == texts.INPUT_CANCELLED
    await sam.send("not for Alex")
    await sam.expect("I only pass words")
    # A command also drops the armed reply.
    await sam.press(texts.REPLY_WRITE, notice)
    await sam.expect("The next text you send")
    await sam.send("/help")
    await sam.expect("Here's what I can do")
    await sam.send("also not for Alex")
    await sam.expect("I only pass words")
    await sam.send("/cancel")
    await sam.expect(texts.NOTHING_TO_CANCEL)
    await steady.settle()
    assert not any("for Alex" in m.shown for m in alex.inbox)


async def test_write_back_lapses_after_an_hour(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("asked for reassurance")
    await sam.press(texts.REPLY_WRITE, notice)
    await sam.expect("The next text you send")
    await steady.advance(timedelta(hours=1, seconds=1))
    await sam.send("much later, unrelated")
    await sam.expect("I only pass words")
    await steady.settle()
    assert not any("unrelated" in m.shown for m in alex.inbox)


async def test_a_too_long_written_reply_is_refused_and_can_be_resent(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("asked for reassurance")
    await sam.press(texts.REPLY_WRITE, notice)
    await sam.expect("The next text you send")
    await sam.send("x" * 3600)
    await sam.expect("That's 3600 characters; please keep it to 3500 or fewer")
    await sam.send("shorter")
    await alex.expect("From Sam: shorter")


async def test_no_agreed_words_yet_gets_a_gentle_message_and_the_partner_is_still_told(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    gentle = await alex.expect("There are no agreed words from Sam yet")
    assert "/phrase" in gentle.shown
    notice = await sam.expect("Alex asked for reassurance just now. There are no agreed words yet")
    await sam.press(texts.REPLY_HERE, notice)
    await alex.expect(f"From Sam: {texts.REPLY_HERE}")


async def test_a_tap_with_no_words_yet_offers_breathing_grounding_and_a_line_from_steady(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    gentle = await alex.expect("There are no agreed words from Sam yet")
    assert gentle.buttons == [texts.BREATHE_BUTTON, texts.GROUND_BUTTON]
    # The warm line says it is Steady's, and nothing is put in Sam's mouth.
    assert "From me, Steady:" in gentle.shown
    assert "From Sam" not in gentle.shown
    await sam.expect("Alex asked for reassurance just now")  # Sam is still told
    await alex.press(texts.GROUND_BUTTON, gentle)
    await alex.expect("Name 5 things you can see")
    assert gentle.text is not None and gentle.text.startswith("There are no agreed words")
    assert gentle.text.endswith(f"\n\n✓ {texts.GROUND_BUTTON}")  # it reads as answered
    assert gentle.buttons == []  # one choice per message
    await alex.tap(texts.REASSURE_BUTTON)
    again = await alex.expect("There are no agreed words from Sam yet")
    await alex.press(texts.BREATHE_BUTTON, again)
    await alex.expect(texts.BREATHE_START)
    assert again.shown.endswith(f"\n\n✓ {texts.BREATHE_BUTTON}")


async def test_the_partner_is_nudged_once_to_agree_words_and_can_offer_them_with_one_tap(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    first = await sam.expect("Alex asked for reassurance just now. There are no agreed words yet")
    assert texts.nudge_to_agree_words("Alex") in first.shown
    assert first.buttons == [
        texts.REPLY_HERE,
        texts.REPLY_CALL,
        texts.REPLY_TONIGHT,
        texts.REPLY_WRITE,
        texts.OFFER_BUTTON,
    ]
    await alex.tap(texts.REASSURE_BUTTON)
    second = await sam.expect("Alex asked for reassurance just now. There are no agreed words yet")
    assert texts.nudge_to_agree_words("Alex") not in second.shown
    assert texts.OFFER_BUTTON not in second.buttons
    await sam.press(texts.OFFER_BUTTON, first)
    await sam.expect(texts.OFFER_PROMPT)
    await sam.send("I'm right here with you.")
    offer = await alex.expect("I'm right here with you.")
    await alex.press(texts.ACCEPT_BUTTON, offer)
    await alex.tap(texts.REASSURE_BUTTON)
    words = await alex.expect("From Sam")
    assert words.shown == "💛 From Sam:\n\n“I'm right here with you.”"
    assert words.buttons == []


async def test_not_paired_gets_how_to_pair(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await alex.send(texts.REASSURE_BUTTON)
    message = await alex.expect("You're not paired yet")
    assert "/pair" in message.shown
    await alex.send("/reassure")
    await alex.expect("You're not paired yet")


async def test_each_request_is_recorded(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    for _ in range(3):
        await alex.tap(texts.REASSURE_BUTTON)
        await alex.next_message()
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(ReassuranceRequest)) == 3


async def test_partner_who_blocked_the_bot_still_sends_words_and_requester_is_told(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm here.")
    sam.chat.blocked = True
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("“I'm here.”")
    # Alex tapped and wrote nothing: she hears Sam could not be reached, not of a lost message.
    told = await alex.expect("Sam couldn't be reached just now, so they don't know you asked.")
    assert "message" not in told.shown


async def test_the_partner_notice_is_retried_through_telegram_hiccups(steady: Steady) -> None:
    alex, sam = await pair(steady)
    steady.telegram.faults = FaultPlan(
        script=[Fault("retry_after", seconds=1), Fault("server_error", status=502), Fault("drop")],
        only_chat=sam.id,
    )
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("There are no agreed words from Sam")
    await steady.walk(timedelta(seconds=20))
    await sam.expect("Alex asked for reassurance")
    await steady.settle()
    assert len([m for m in sam.inbox if "asked for reassurance" in m.shown]) == 1
    assert steady.telegram.faults.injected == {"retry_after": 1, "server_error": 1, "drop": 1}


@pytest.mark.slow
async def test_the_words_go_ahead_of_a_backlog_of_scheduled_messages(
    telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> None:
    """With Telegram's budget at 5 a second, 40 messages already due take 8 seconds: a tap's
    words do not wait for them."""
    async with running_bot(telegram, database_url, clock, telegram_rate_limit=5) as steady:
        alex, sam = await pair(steady)
        await agree_phrase(alex, sam, "Right here.")
        others = [steady.user(f"Kim{i}") for i in range(40)]
        for other in others:
            await other.start()
        await steady.settle()
        async with steady.rt.db.transaction() as session:
            for other in others:
                person = await session.scalar(select(Person).where(Person.telegram_id == other.id))
                assert person is not None
                await outbox.enqueue(
                    session,
                    key=f"backlog:{other.id}",
                    recipient=person,
                    kind="nudge",
                    text="Thinking of you",
                    now=steady.clock.now(),
                )
        await telegram.wait_for(lambda: any(o.inbox[-1].shown == "Thinking of you" for o in others))
        await alex.tap(texts.REASSURE_BUTTON)
        await alex.expect("💛 From Sam", timeout=2)
        backlog_sent = sum(1 for o in others if o.inbox[-1].shown == "Thinking of you")
        assert backlog_sent < 20  # most of the backlog still waits; the words did not
        await telegram.wait_for(
            lambda: all(o.inbox[-1].shown == "Thinking of you" for o in others), 20
        )


@pytest.mark.slow
async def test_taps_at_once_all_get_their_words_before_any_partner_is_told(
    telegram: FakeTelegram, database_url: str, clock: FakeClock
) -> None:
    """Four people tap 💛 Reassure me together while Telegram's budget allows one message a
    second: the four sets of words take the first four messages; the partners' notices wait.
    (A second between messages: the taps that come together are all in hand by the next.)"""
    async with running_bot(telegram, database_url, clock, telegram_rate_limit=1) as steady:
        couples = [await pair(steady, f"Asker{i}", f"Giver{i}") for i in range(4)]
        for asker, giver in couples:
            await agree_phrase(asker, giver, "Right here.")
        await steady.settle()
        mark = len(telegram.transcript)
        for asker, _ in couples:
            await asker.tap(texts.REASSURE_BUTTON)
        for asker, giver in couples:
            await asker.expect("💛 From")
            await giver.expect("asked for reassurance")
        sent = [line.text for line in telegram.transcript[mark:] if line.kind == "bot"]
        words = [i for i, text in enumerate(sent) if text.startswith("💛 From")]
        notices = [i for i, text in enumerate(sent) if "asked for reassurance" in text]
        assert len(words) == len(notices) == 4
        assert max(words) < min(notices), sent


async def test_three_quick_replies_in_a_row_are_all_listed(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("asked for reassurance")
    await asyncio.gather(
        sam.press(texts.REPLY_HERE, notice),
        sam.press(texts.REPLY_CALL, notice),
        sam.press(texts.REPLY_TONIGHT, notice),
    )
    await steady.settle()
    assert notice.shown.endswith("✓ You replied: I'm here, I'll call soon, Let's talk tonight")
    assert notice.shown.count("💛") + notice.shown.count("📞") + notice.shown.count("🕐") == 0


async def test_cancel_under_an_old_prompt_leaves_a_newer_one_armed(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase Hold on.")
    ask = await sam.expect("Hold on.")
    await sam.press(texts.EDIT_BUTTON, ask)
    old_prompt = await sam.expect("Send the words the way you'd say them")
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("asked for reassurance")
    await sam.press(texts.REPLY_WRITE, notice)
    await sam.expect("The next text you send goes to Alex")
    answer = await sam.press(texts.CANCEL_BUTTON, old_prompt)
    assert answer.text is None
    await steady.settle()
    assert old_prompt.shown == texts.NOTHING_TO_CANCEL
    await sam.send("Still here for you.")
    await alex.expect("From Sam: Still here for you.")
