"""Their voice, on one tap: a voice message or a video note the giver recorded becomes agreed
words once the receiver has heard and accepted it, and 💛 sends it as theirs by Telegram's
file_id — nothing downloaded, only the id and its length stored."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from bot import texts
from bot.db.models import Person, Phrase
from bot.services.privacy import person_columns
from tests.faketelegram import FakeUser
from tests.faketelegram.server import Message
from tests.harness import T0, Steady
from tests.stories import agree_phrase, pair
from tests.test_pause import berlin_and_new_york, take_a_moment
from tests.test_rituals import add, couple_in, utc

VOICE_12 = "🎤 a voice message (0:12)"
VIDEO_20 = "📹 a video message (0:20)"


async def phrases_in_db(
    steady: Steady,
) -> list[tuple[str, str, str | None, str | None, int | None]]:
    async with steady.rt.db.transaction() as session:
        return [
            (p.text, p.status, p.media_kind, p.media_file_id, p.media_seconds)
            for p in await session.scalars(select(Phrase).order_by(Phrase.id))
        ]


async def record_offer(steady: Steady, giver: FakeUser, seconds: int = 12) -> Message:
    """The giver sends /offer, records; returns their recording."""
    await giver.send("/offer")
    prompt = await giver.expect(texts.OFFER_PROMPT)
    assert texts.RECORD_HINT in prompt.shown
    return await giver.send_voice(seconds)


async def heard_voice(user: FakeUser, file_id: str) -> Message:
    """The next unread message that plays the recording `file_id`."""
    message: Message = await user.server.wait_for(
        lambda: next((m for m in user.unread if m.voice == file_id), None),
        30.0,
        what=f"the voice message {file_id} for {user.first_name}",
    )
    user.mark_read()
    return message


async def test_a_recorded_offer_is_heard_accepted_and_sent_on_a_tap_by_its_file_id(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    recording = await record_offer(steady, sam)
    assert recording.voice is not None
    await sam.expect(f"Sent to Alex to listen to: {VOICE_12}")
    # Alex hears it with the question: her partner's own voice, and Accept / No thanks under it.
    offer = await heard_voice(alex, recording.voice)
    assert offer.caption is not None and offer.caption.startswith(
        f"Sam recorded words for you: {VOICE_12}"
    )
    assert offer.buttons == [texts.ACCEPT_BUTTON, texts.NO_THANKS_BUTTON]
    # Not accepted yet: never sent.
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("There are no agreed words from Sam yet")
    await alex.press(texts.ACCEPT_BUTTON, offer)
    await sam.expect(f"Alex accepted your words: {VOICE_12}")
    await steady.settle()
    assert (
        offer.caption == f"Accepted. You'll hear {VOICE_12} when you tap {texts.REASSURE_BUTTON}."
    )
    assert offer.buttons == []
    # 💛: the recording itself, as Sam's, and Sam is told which words went.
    await alex.tap(texts.REASSURE_BUTTON)
    words = await heard_voice(alex, recording.voice)
    assert words.caption == "💛 From Sam, in their own voice"
    await sam.expect(f"They received your words: {VOICE_12}")
    # Only the id and the length are kept; nothing was downloaded.
    assert await phrases_in_db(steady) == [(VOICE_12, "agreed", "voice", recording.voice, 12)]
    methods = {method.lower() for _, method in steady.telegram.calls}
    assert "getfile" not in methods and "sendvoice" in methods


async def test_a_video_note_answers_a_request_and_comes_round_then_the_words(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await alex.send("/phrase Tell me it'll be okay.")
    ask = await sam.expect("Tell me it'll be okay.")
    await sam.press(texts.EDIT_BUTTON, ask)
    prompt = await sam.expect("Send the words the way you'd say them")
    assert texts.RECORD_HINT in prompt.shown
    recording = await sam.send_voice(20, video_note=True)
    await sam.expect(f"Sent to Alex to listen to: {VIDEO_20}")
    question = await alex.expect(
        f"Sam answered your request “Tell me it'll be okay.” with a recording ☝️: {VIDEO_20}"
    )
    # The round video just above the question (a video note takes no caption).
    shown = alex.inbox
    video = shown[shown.index(question) - 1]
    assert video.video_note == recording.video_note and video.duration == 20
    # A recording answering a request is offered, not agreed: Alex decides, having heard it.
    assert (await phrases_in_db(steady))[0][1] == "offered"
    await alex.press(texts.ACCEPT_BUTTON, question)
    await sam.expect(f"Alex accepted your words: {VIDEO_20}")
    await alex.tap(texts.REASSURE_BUTTON)
    words = await alex.expect("💛 From Sam, in their own voice ☝️")
    shown = alex.inbox
    assert shown[shown.index(words) - 1].video_note == recording.video_note


async def test_recordings_rotate_with_text_words_under_the_same_rules(steady: Steady) -> None:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "I'm right here.")
    recording = await record_offer(steady, sam)
    assert recording.voice is not None
    await alex.press(texts.ACCEPT_BUTTON, await heard_voice(alex, recording.voice))
    await sam.expect("Alex accepted your words")
    sent: list[str] = []
    for _ in range(4):
        alex.mark_read()
        await alex.tap(texts.REASSURE_BUTTON)
        words = await alex.expect("💛 From Sam")
        sent.append("voice" if words.voice == recording.voice else words.shown)
        assert words.voice is None or words.caption == "💛 From Sam, in their own voice"
    # Two agreed words: never the same twice in a row.
    assert sent in (
        ["voice", "💛 From Sam:\n\n“I'm right here.”"] * 2,
        ["💛 From Sam:\n\n“I'm right here.”", "voice"] * 2,
    )


async def test_a_declined_recording_is_never_sent(steady: Steady) -> None:
    alex, sam = await pair(steady)
    recording = await record_offer(steady, sam)
    assert recording.voice is not None
    await alex.press(texts.NO_THANKS_BUTTON, await heard_voice(alex, recording.voice))
    await sam.expect(f"Alex would rather not use these words:\n{VOICE_12}")
    assert await phrases_in_db(steady) == []
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("There are no agreed words from Sam yet")
    # The one voice message Alex ever got is the question she answered.
    assert [m.voice for m in alex.inbox if m.voice is not None] == [recording.voice]


async def test_a_recording_over_a_minute_is_refused_kindly_and_another_take_works(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await record_offer(steady, sam, seconds=75)
    refusal = await sam.expect("That recording is 1:15 long")
    assert "under a minute" in refusal.shown
    assert await phrases_in_db(steady) == []
    assert [m for m in alex.unread if m.voice is not None] == []
    # Still listening: the next take is the offer.
    again = await sam.send_voice(45)
    await sam.expect("Sent to Alex to listen to: 🎤 a voice message (0:45)")
    assert (await heard_voice(alex, str(again.voice))).buttons == [
        texts.ACCEPT_BUTTON,
        texts.NO_THANKS_BUTTON,
    ]


async def test_a_recording_nobody_asked_for_gets_a_pointer_and_stickers_still_explained(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    await sam.send_voice(5)
    pointer = await sam.expect("A recording can become words Alex hears")
    assert "/offer" in pointer.shown
    assert await phrases_in_db(steady) == []
    await sam.send_sticker()
    await sam.expect(texts.TEXT_ONLY)
    # Alex, asking for words, is told recordings are the partner's to make; her prompt waits on.
    await alex.send("/phrases")
    await alex.press(texts.PROPOSE_BUTTON, await alex.expect("Words you'll hear from Sam"))
    await alex.expect(texts.PROPOSE_PROMPT)
    await alex.send_voice(5)
    await alex.expect(texts.RECORDING_ASK_WITH_TEXT)
    await alex.send("Say you're proud of me.")
    await alex.expect("Sent to Sam to agree: “Say you're proud of me.”")


async def test_a_recording_telegram_no_longer_has_still_brings_the_words_saying_so(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    recording = await record_offer(steady, sam)
    assert recording.voice is not None
    await alex.press(texts.ACCEPT_BUTTON, await heard_voice(alex, recording.voice))
    await sam.expect("Alex accepted your words")
    del steady.telegram.bot.files[recording.voice]  # gone from Telegram's side
    await alex.tap(texts.REASSURE_BUTTON)
    words = await alex.expect("💛 From Sam, in their own voice")
    assert words.voice is None and texts.RECORDING_GONE in words.shown


async def test_removing_a_recording_tells_the_partner_like_text_words(steady: Steady) -> None:
    alex, sam = await pair(steady)
    recording = await record_offer(steady, sam)
    assert recording.voice is not None
    await alex.press(texts.ACCEPT_BUTTON, await heard_voice(alex, recording.voice))
    await sam.expect("Alex accepted your words")
    await sam.send("/phrases")
    overview = await sam.expect(f"Words you've agreed to say to Alex:\n• {VOICE_12}")
    await sam.press(texts.REMOVE_SOME_BUTTON, overview)
    await steady.settle()
    await sam.press(f"{texts.REMOVE_LABEL_PREFIX}{VOICE_12}", overview)
    await alex.expect(f"Sam removed {VOICE_12}")
    assert await phrases_in_db(steady) == []
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("There are no agreed words from Sam yet")


async def test_export_lists_a_recording_and_delete_erases_it(steady: Steady) -> None:
    alex, sam = await pair(steady)
    recording = await record_offer(steady, sam)
    assert recording.voice is not None
    await alex.press(texts.ACCEPT_BUTTON, await heard_voice(alex, recording.voice))
    await sam.expect("Alex accepted your words")
    await alex.send("/export")
    document = await alex.expect(texts.EXPORT_CAPTION)
    assert document.document is not None
    exported = json.loads(steady.telegram.bot.files[document.document])
    [phrase] = exported["phrases"]
    assert (phrase["text"], phrase["media_kind"], phrase["media_seconds"]) == (
        VOICE_12,
        "voice",
        12,
    )
    async with steady.rt.db.transaction() as session:
        sam_id = await session.scalar(select(Person.id).where(Person.first_name == "Sam"))
    await sam.send("/delete")
    await sam.press(texts.DELETE_YES_BUTTON, await sam.expect("Delete everything"))
    await sam.expect(texts.DELETED)
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Phrase)) == 0
        for table, column in person_columns():
            count = await session.scalar(
                select(func.count()).select_from(table).where(table.c[column] == sam_id)
            )
            assert count == 0


async def test_a_nudge_note_may_be_a_voice_message(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "nudge 15:00 weekdays")
    await steady.advance_to(utc(2026, 3, 2, 14, 0))
    prompt = await alex.expect("Thinking of Sam?")
    await alex.press(texts.WRITE_ONE_BUTTON, prompt)
    await alex.expect("The next text you send goes to Sam as yours")
    recording = await alex.send_voice(8)
    await alex.expect("Sent to Sam: 🎤 a voice message (0:08)")
    note = await heard_voice(sam, str(recording.voice))
    assert note.caption == "💭 Alex is thinking of you: 🎤 a voice message (0:08)"
    assert note.buttons  # the warm replies under it, as under a typed note
    answer = await alex.press(prompt.buttons[0], prompt)
    assert answer.text == texts.NUDGE_ALREADY_SENT


async def test_a_note_written_ahead_may_be_a_voice_message(steady: Steady) -> None:
    alex, sam = await couple_in(steady, "Europe/Berlin", "Europe/Berlin")
    await add(alex, "nudge 15:00 weekdays")
    await alex.send("/note")
    await alex.expect("What would you like Sam to find at your next nudge time?")
    await alex.send_voice(90)
    await alex.expect("That recording is 1:30 long")
    recording = await alex.send_voice(15)
    await alex.expect("It goes to Sam at your next nudge time, Mon 15:00")
    assert [m for m in sam.unread if m.voice is not None] == []  # not before its time
    await steady.advance_to(utc(2026, 3, 2, 14, 0))
    letter = await heard_voice(sam, str(recording.voice))
    assert letter.caption == "💌 A note Alex wrote for you:\n\n🎤 a voice message (0:15)"
    assert letter.buttons  # the warm replies under it, as under a typed note
    # Typed, after /note alone, still works as before.
    await alex.send("/note")
    await alex.expect("What would you like Sam to find")
    await alex.send("Proud of you.")
    await alex.expect("It goes to Sam at your next nudge time")


async def test_a_recording_held_by_a_pause_comes_on_its_own_beside_the_bundle(
    steady: Steady,
) -> None:
    alex, sam = await berlin_and_new_york(steady)
    await take_a_moment(alex, "1 hour")
    await sam.expect("They'll be back at 05:00 (your time)")
    alex.mark_read()
    recording = await record_offer(steady, sam)
    await sam.expect(f"Sent to Alex to listen to: {VOICE_12}")
    await sam.send("/journal Our walk by the river")
    await sam.expect("Added to your journal")
    await steady.advance_to(T0 + timedelta(minutes=59))
    assert alex.unread == []  # nothing slips through her moment
    await steady.advance_to(T0 + timedelta(hours=1))
    bundle = await alex.expect(texts.PAUSE_BUNDLE_HEAD)
    assert texts.journal_notice("Sam", "Our walk by the river") in bundle.shown
    assert VOICE_12 not in bundle.shown
    # The recording itself, with its own question: a bundle's words could not carry it.
    offer = await heard_voice(alex, str(recording.voice))
    assert offer.buttons == [texts.ACCEPT_BUTTON, texts.NO_THANKS_BUTTON]
    await alex.press(texts.ACCEPT_BUTTON, offer)
    await sam.expect(f"Alex accepted your words: {VOICE_12}")
