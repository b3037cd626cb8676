"""Agreed phrases: propose, offer, agree, reword, decline, remove, limits, exact text."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import texts
from bot.db.models import Person, Phrase
from bot.services import phrases
from tests.harness import Steady
from tests.stories import agree_phrase, invite, pair

# Characters that Markdown or HTML would swallow; they must arrive exactly as typed.
TRICKY = "<b>not bold</b> & *stars* _under_ `tick` [x](y) 🧡‍🔥 ﷽ a\\b"


async def phrases_in_db(steady: Steady) -> list[tuple[str, str]]:
    async with steady.rt.db.transaction() as session:
        return [
            (p.text, p.status) for p in await session.scalars(select(Phrase).order_by(Phrase.id))
        ]


async def test_proposed_words_go_to_the_partner_to_agree(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase I'm not going anywhere.")
    await alex.expect("Sent to Sam to agree: “I'm not going anywhere.”")
    ask = await sam.expect("Alex would find these words reassuring")
    assert "“I'm not going anywhere.”" in ask.shown
    assert ask.buttons == [texts.AGREE_BUTTON, texts.EDIT_BUTTON, texts.DECLINE_BUTTON]
    assert await phrases_in_db(steady) == [("I'm not going anywhere.", "proposed")]


async def test_agreeing_makes_the_words_live_and_tells_the_proposer(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase You're safe with me.")
    ask = await sam.expect("You're safe with me.")
    await sam.press(texts.AGREE_BUTTON, ask)
    await alex.expect("Sam agreed to say:\n“You're safe with me.”")
    await steady.settle()
    assert ask.shown == "You agreed to say: “You're safe with me.”"
    assert ask.buttons == []
    assert await phrases_in_db(steady) == [("You're safe with me.", "agreed")]


async def test_a_second_press_on_an_answered_request_changes_nothing(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase Here.")
    ask = await sam.expect("Here.")
    data = ask.button_data(texts.AGREE_BUTTON)
    await sam.press(texts.AGREE_BUTTON, ask)
    await alex.expect("Sam agreed")
    answer = await sam.press_data(
        ask.button_data(texts.DECLINE_BUTTON) if ask.buttons else data.replace(":a:", ":d:"), ask
    )
    assert answer.text == texts.PHRASE_ALREADY_ANSWERED
    assert await phrases_in_db(steady) == [("Here.", "agreed")]


async def test_edit_lets_the_giver_reword_and_the_receiver_sees_and_may_remove_it(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase Tell me you love me.")
    ask = await sam.expect("Tell me you love me.")
    await sam.press(texts.EDIT_BUTTON, ask)
    await sam.expect("Send the words the way you'd say them")
    await sam.send("I love you, and I'm right here.")
    await sam.expect("Done. You'll say: “I love you, and I'm right here.”")
    notice = await alex.expect("Sam put your words their own way")
    assert "“I love you, and I'm right here.”" in notice.shown
    assert await phrases_in_db(steady) == [("I love you, and I'm right here.", "agreed")]
    await alex.press(texts.REMOVE_BUTTON, notice)
    await sam.expect("Alex removed “I love you, and I'm right here.”")
    assert await phrases_in_db(steady) == []


async def test_declining_tells_the_proposer_neutrally_and_removes_the_words(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase Promise you'll never leave.")
    ask = await sam.expect("Promise you'll never leave.")
    await sam.press(texts.DECLINE_BUTTON, ask)
    notice = await alex.expect(
        "Sam would rather not use these words:\n“Promise you'll never leave.”"
    )
    for blame in ("refused", "rejected", "won't", "!"):
        assert blame not in notice.shown
    assert "/phrase" in notice.shown
    assert await phrases_in_db(steady) == []


async def test_offered_words_go_live_once_the_receiver_accepts(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await sam.send("/offer You matter to me, even on busy days.")
    await sam.expect("Offered to Alex")
    offer = await alex.expect("Sam offers to say these words")
    assert offer.buttons == [texts.ACCEPT_BUTTON, texts.NO_THANKS_BUTTON]
    # Not live yet: a reassurance request finds no words.
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("There are no agreed words from Sam yet")
    await alex.press(texts.ACCEPT_BUTTON, offer)
    await sam.expect("Alex accepted your words")
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("You matter to me, even on busy days.")


async def test_declined_offer_is_removed_and_the_giver_told_kindly(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await sam.send("/offer Calm down.")
    offer = await alex.expect("Calm down.")
    await alex.press(texts.NO_THANKS_BUTTON, offer)
    await sam.expect("Alex would rather not use these words:\n“Calm down.”")
    assert await phrases_in_db(steady) == []


async def test_phrases_lists_both_directions_with_pending(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm here.")
    await agree_phrase(sam, alex, "We're a team.")
    await alex.send("/phrase Still waiting.")
    await sam.expect("Still waiting.")
    await alex.send("/phrases")
    view = await alex.expect("Words you'll hear from Sam")
    hear, say = view.shown.split("Words you've agreed to say to Sam")
    assert "“I'm here.”" in hear
    assert "“Still waiting.”" in hear
    assert "You asked; waiting for Sam:\n• “Still waiting.”" in hear
    assert "“We're a team.”" in say
    assert texts.REMOVE_SOME_BUTTON in view.buttons


async def test_each_owner_removes_words_from_the_phrases_menu(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm here.")
    await sam.send("/phrases")
    view = await sam.expect("Words you've agreed to say to Alex")
    await sam.press(texts.REMOVE_SOME_BUTTON, view)
    await steady.settle()
    await sam.press("✖ I'm here.", view)
    await alex.expect("Sam removed “I'm here.” from the words they'll say")
    assert await phrases_in_db(steady) == []
    await steady.settle()
    assert view.shown == texts.PHRASES_NOTHING_TO_REMOVE


async def test_the_removal_list_pages_through_many_phrases(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    for i in range(11):
        await alex.send(f"/phrase Words number {i}")
        await alex.expect(f"Words number {i}")
    await alex.send("/phrases")
    view = await alex.expect("Words you'll hear from Sam")
    await alex.press(texts.REMOVE_SOME_BUTTON, view)
    await steady.settle()
    assert len(view.buttons) == 8 + 2  # eight phrases, "More ›" and "Done"
    await alex.press(texts.NEXT_BUTTON, view)
    await steady.settle()
    assert "✖ Words number 10" in view.buttons
    assert texts.PREVIOUS_BUTTON in view.buttons
    await alex.press("✖ Words number 10", view)
    await steady.settle()
    assert len(await phrases_in_db(steady)) == 10


async def test_asking_for_words_by_typing_from_the_menu(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrases")
    view = await alex.expect("Words you'll hear")
    await alex.press(texts.PROPOSE_BUTTON, view)
    await alex.expect("What would you like to hear?")
    await alex.send("Hold my hand.")
    await alex.expect("Sent to Sam to agree: “Hold my hand.”")
    await sam.expect("Hold my hand.")
    await alex.press(texts.OFFER_BUTTON, view)
    await alex.expect("What would you be glad to say?")
    await alex.press(texts.CANCEL_BUTTON)
    await alex.send("This is not an offer.")
    await alex.expect("I only pass words to Sam when you ask me to")


async def test_words_are_kept_exactly_as_typed(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send(f"/phrase {TRICKY}")
    ask = await sam.expect("Alex would find these words reassuring")
    assert f"“{TRICKY}”" in ask.shown
    await sam.press(texts.AGREE_BUTTON, ask)
    await alex.expect("Sam agreed")
    await alex.tap(texts.REASSURE_BUTTON)
    words = await alex.expect("From Sam")
    assert f"“{TRICKY}”" in words.shown


async def test_control_characters_are_removed_and_newlines_kept(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase Line one\u0007\n\n\nLine\u0000 two\t!")
    await sam.expect("“Line one\n\n\nLine two!”")


async def test_length_limits_are_explained_and_change_nothing(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase")
    await alex.expect("Send /phrase followed by words")
    await alex.send("/phrase    \u0007  ")
    await alex.expect("Send /phrase followed by words")
    await alex.send("/phrase " + "x" * 501)
    await alex.expect("That's 501 characters; please keep it to 500 or fewer")
    # /offer alone asks for the words — typed, or recorded (tests/test_voice.py).
    await alex.send("/offer")
    await alex.expect(texts.OFFER_PROMPT)
    assert await phrases_in_db(steady) == []
    await alex.send("/phrase " + "y" * 500)
    await sam.expect("y" * 500)


async def test_the_same_words_twice_are_refused(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm here.")
    await alex.send("/phrase I'm here.")
    await alex.expect(texts.PHRASE_DUPLICATE)
    assert len(await phrases_in_db(steady)) == 1


async def test_at_most_fifty_agreed_phrases_per_direction(steady: Steady) -> None:
    alex, sam = await pair(steady)
    async with steady.rt.db.transaction() as session:
        me = await session.scalar(select(Person).where(Person.first_name == "Alex"))
        partner = await session.scalar(select(Person).where(Person.first_name == "Sam"))
        assert me is not None and partner is not None
        for i in range(50):
            made = await phrases.propose(session, me, f"Words {i}", steady.clock.now())
            assert isinstance(made, phrases.Words)
        for phrase in list(await session.scalars(select(Phrase))):
            await phrases.answer_proposal(session, partner, phrase.id, True, steady.clock.now())
    await steady.settle()
    await steady.advance(timedelta(minutes=61))  # past the hour's relay limit those 50 used
    alex.mark_read()
    await alex.send("/phrase One too many")
    await alex.expect(texts.PHRASE_LIMIT)
    await sam.send("/offer One too many")
    await sam.expect(texts.PHRASE_LIMIT)
    # The other direction has its own fifty.
    await sam.send("/phrase For me")
    await sam.expect("Sent to Alex to agree")
    assert len(await phrases_in_db(steady)) == 51


async def test_at_most_fifty_phrases_waiting_for_an_answer(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    for i in range(50):
        await alex.send(f"/phrase Words {i}")
        await alex.expect(f"“Words {i}”")
        await steady.advance(timedelta(minutes=3))  # 20 an hour: within the relay limit
    await alex.send("/phrase One too many")
    await alex.expect(texts.PENDING_LIMIT)
    assert len(await phrases_in_db(steady)) == 50


async def test_many_long_phrases_fit_into_several_messages(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    for i in range(12):
        await alex.send(f"/phrase {i:02d} " + "long words " * 45)
        await alex.expect(f"“{i:02d} long")
    await alex.send("/phrases")
    await alex.expect("Words you'll hear from Sam")
    await steady.settle()
    last = alex.last
    assert texts.PROPOSE_BUTTON in last.buttons
    assert all(len(m.shown) <= 4096 for m in alex.inbox)


async def test_phrase_commands_need_a_partner(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    for command in ("/phrase Hi", "/offer Hi", "/phrases"):
        await alex.send(command)
        await alex.expect("You're not paired yet")


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
