"""Behaviours that an independent review of the first slice found missing or wrong, each now a
user story."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot import callbacks, texts
from bot.db.models import Person, Phrase
from tests.harness import Steady
from tests.stories import agree_phrase, invite, pair


async def test_removing_long_words_gets_a_short_confirmation(steady: Steady) -> None:
    alex, sam = await pair(steady)
    long_words = "I am here, " * 30
    await agree_phrase(alex, sam, long_words.strip())
    await alex.send("/phrases")
    view = await alex.expect("Words you'll hear from Sam")
    await alex.press(texts.REMOVE_SOME_BUTTON, view)
    await steady.settle()
    answer = await alex.press(view.buttons[0], view)
    assert answer.text == texts.PHRASE_REMOVED
    async with steady.rt.db.transaction() as session:
        assert list(await session.scalars(select(Phrase))) == []


async def test_offers_waiting_for_an_answer_show_in_phrases_for_both(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await sam.send("/offer You matter to me.")
    await alex.expect("Sam offers to say")
    await alex.send("/phrases")
    view = await alex.expect("Words you'll hear from Sam")
    assert "Sam offered; waiting for your answer:\n• “You matter to me.”" in view.shown
    await sam.send("/phrases")
    view = await sam.expect("Words you'll hear from Alex")
    assert "You offered; waiting for Alex:\n• “You matter to me.”" in view.shown


async def test_rewording_into_words_already_agreed_is_refused_and_can_be_retried(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm here.")
    await alex.send("/phrase Hold on.")
    ask = await sam.expect("Hold on.")
    await sam.press(texts.EDIT_BUTTON, ask)
    await sam.expect("Send the words the way you'd say them")
    await sam.send("I'm here.")
    await sam.expect(texts.PHRASE_DUPLICATE)
    await sam.send("\u0007")
    await sam.expect(texts.EMPTY_MESSAGE)
    await sam.send("I've got you.")
    await sam.expect("Done. You'll say: “I've got you.”")


async def test_old_phrases_menu_buttons_do_nothing_after_pairing_with_someone_else(
    steady: Steady,
) -> None:
    alex, _sam = await pair(steady)
    await alex.send("/phrases")
    menu = await alex.expect("Words you'll hear from Sam")
    await alex.send("/unpair")
    await alex.expect("Unpair from Sam?")
    await alex.press(texts.UNPAIR_YES_BUTTON)
    await alex.expect("You're unpaired")
    kim = steady.user("Kim")
    await kim.start()
    link, _ = await invite(kim)
    await alex.open_link(link)
    await alex.expect("You're paired with Kim")
    answer = await alex.press(texts.PROPOSE_BUTTON, menu)
    assert answer.text == texts.BUTTON_STALE
    await alex.send("words meant for nobody")
    await alex.expect("I only pass words to Kim when you ask me to")


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


async def test_a_button_pressed_in_a_group_changes_nothing_and_moves_no_chat(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await alex.tap(texts.REASSURE_BUTTON)
    notice = await sam.expect("asked for reassurance")
    group = sam.group(-100123)
    group.add(from_bot=True, text="a message of the bot's in a group")
    answer = await sam.press_data(notice.button_data(texts.REPLY_HERE), chat=group)
    assert answer.text == texts.BUTTON_STALE
    async with steady.rt.db.transaction() as session:
        chat_id = await session.scalar(select(Person.chat_id).where(Person.first_name == "Sam"))
    assert chat_id == sam.id
    await steady.settle()
    assert not any(texts.REPLY_HERE in m.shown for m in alex.inbox)


async def test_in_a_group_only_commands_addressed_to_steady_get_an_answer(steady: Steady) -> None:
    alex = steady.user("Alex")
    group = alex.group(-100555)
    await alex.send_in_group(-100555, "/start")
    await alex.send_in_group(-100555, "/weather@SomeOtherBot")
    await steady.settle()
    assert [m for m in group.messages if m.from_bot] == []
    await alex.send_in_group(-100555, f"/start@{steady.telegram.bot.username}")
    await steady.telegram.wait_for(lambda: any(m.from_bot for m in group.messages))
    assert [m.shown for m in group.messages if m.from_bot] == [texts.PRIVATE_ONLY]


async def test_both_partners_confirming_unpair_at_once_get_one_outcome_each(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/unpair")
    ask_alex = await alex.expect("Unpair from Sam?")
    await sam.send("/unpair")
    ask_sam = await sam.expect("Unpair from Alex?")
    alex.mark_read()
    sam.mark_read()
    answers = await asyncio.gather(
        alex.press(texts.UNPAIR_YES_BUTTON, ask_alex), sam.press(texts.UNPAIR_YES_BUTTON, ask_sam)
    )
    await steady.settle()
    outcomes = sorted(
        ("unpaired" if "You're unpaired" in m.shown else "told")
        for user in (alex, sam)
        for m in user.unread
        if "You're unpaired" in m.shown or "has ended your pairing" in m.shown
    )
    assert outcomes == ["told", "unpaired"]
    assert sorted(a.text or "" for a in answers) == ["", texts.BUTTON_STALE]


def test_ids_beyond_32_bits_are_not_button_data() -> None:
    assert callbacks.unpack(f"rr:h:{2**31}") is None
    assert callbacks.unpack(f"rr:h:{2**31 - 1}") is not None
