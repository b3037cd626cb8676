"""Privacy: /export sends everything stored about you as a JSON document; /delete erases it all
(after a confirmation), ends the pairing and tells the partner neutrally."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot import callbacks, texts
from bot.db.models import Person
from bot.services.privacy import person_columns
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import agree_phrase, pair
from tests.test_authorisation import snapshot


async def rich_couple(steady: Steady) -> tuple[FakeUser, FakeUser]:
    alex, sam = await pair(steady)
    await agree_phrase(alex, sam, "You are my person.")
    await alex.send("/journal Picnic in the rain")
    await alex.expect("Added to your journal")
    await alex.send("/trigger it went silent after our call")
    await alex.press("alone", await alex.expect(texts.TRIGGER_FEELING_ASK))
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect("💛 From Sam")
    await alex.send("/notes Proud of you")
    await alex.expect("Added to your notes")
    return alex, sam


async def test_export_sends_everything_stored_about_you_as_json(steady: Steady) -> None:
    alex, _sam = await rich_couple(steady)
    kim, lee = await pair(steady, "Kim", "Lee")
    await agree_phrase(kim, lee, "Kim's own words.")
    await alex.send("/export")
    document = await alex.expect(texts.EXPORT_CAPTION)
    assert document.document is not None
    exported = json.loads(steady.telegram.bot.files[document.document])
    assert exported["people"][0]["first_name"] == "Alex"
    assert [p["text"] for p in exported["phrases"]] == ["You are my person."]
    assert [e["text"] for e in exported["journal_entries"]] == ["Picnic in the rain"]
    assert exported["triggers"][0]["what"] == "it went silent after our call"
    assert exported["triggers"][0]["feeling"] == "alone"
    assert [n["text"] for n in exported["quick_notes"]] == ["Proud of you"]
    assert len(exported["reassurance_requests"]) == 1
    text = json.dumps(exported)
    assert "Kim" not in text and "Kim's own words." not in text
    upload = steady.telegram.uploads[-1]
    assert upload[0] == "document" and upload[1] == texts.EXPORT_FILENAME


async def test_delete_erases_everything_about_you_and_tells_the_partner(steady: Steady) -> None:
    alex, sam = await rich_couple(steady)
    await sam.send("/journal Sam's own moment")
    await sam.expect("Added to your journal")
    async with steady.rt.db.transaction() as session:
        alex_id = await session.scalar(select(Person.id).where(Person.first_name == "Alex"))
    await alex.send("/delete")
    confirm = await alex.expect("Delete everything Steady stores about you?")
    # Sam can't press Alex's button.
    await sam.send("/help")
    answer = await sam.press_data(confirm.button_data(texts.DELETE_YES_BUTTON), sam.last)
    assert answer.text == texts.BUTTON_STALE
    await alex.press(texts.CANCEL_BUTTON, confirm)
    await steady.settle()
    assert confirm.shown == texts.DELETE_CANCELLED
    await alex.send("/delete")
    confirm = await alex.expect("Delete everything")
    await alex.press(texts.DELETE_YES_BUTTON, confirm)
    await alex.expect(texts.DELETED)
    assert alex.keyboard == []
    await sam.expect("Alex has left Steady and erased their data")
    await steady.settle()
    assert sam.keyboard == []
    async with steady.rt.db.transaction() as session:
        assert await session.scalar(select(Person.id).where(Person.id == alex_id)) is None
        for table, column in person_columns():
            count = await session.scalar(
                select(func.count()).select_from(table).where(table.c[column] == alex_id)
            )
            assert count == 0, f"{table.name}.{column} still refers to Alex"
    # Sam is simply unpaired, and can start again.
    await sam.send("/status")
    await sam.expect(texts.NOT_PAIRED)


async def test_a_forged_delete_press_changes_nothing(steady: Steady) -> None:
    alex, sam = await pair(steady)
    zoe = steady.user("Zoe")
    await zoe.start()
    await zoe.expect("Steady helps")
    before = await snapshot(steady)
    for presser in (sam, zoe):
        await presser.send("/help")
        message = await presser.expect("Here's what I can do")
        answer = await presser.press_data(callbacks.pack(callbacks.DELETE, "y", 1), message)
        assert answer.text == texts.BUTTON_STALE
    await steady.settle()
    assert await snapshot(steady) == before
    assert [m for m in alex.unread if "erased" in m.shown] == []
