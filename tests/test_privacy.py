"""Privacy: /export sends everything stored about you as a JSON document; /delete erases it all
(after a confirmation), ends the pairing and tells the partner neutrally."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from bot import callbacks, texts
from bot.db.models import Invite, Person
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


def only(lines: list[str]) -> str:
    (line,) = lines
    return line


async def test_export_also_sends_a_page_a_person_can_read(steady: Steady) -> None:
    """First a plain-text page — each section dated on Alex's clock — then the JSON; no ids,
    keys or token hashes on the page."""
    alex, sam = await rich_couple(steady)
    await agree_phrase(sam, alex, "I'm proud of you.")
    await alex.send("/timezone Europe/Berlin")
    await alex.expect("Your time zone is Europe/Berlin")
    await alex.send("/ritual add checkin 09:30 daily")
    await alex.expect("Added:")
    await alex.send("/dates add anniversary 2019-03-20")
    await alex.expect("Added: Your anniversary")
    await sam.send("/journal Sam's own moment")
    await sam.expect("Added to your journal")
    await alex.send("/export")
    page = await alex.expect(texts.EXPORT_READABLE_CAPTION)
    assert page.document is not None
    data = await alex.expect(texts.EXPORT_CAPTION)
    assert data.document is not None
    assert json.loads(steady.telegram.bot.files[data.document])["people"][0]["first_name"] == "Alex"
    assert [u[:2] for u in steady.telegram.uploads[-2:]] == [
        ("document", texts.EXPORT_READABLE_FILENAME),
        ("document", texts.EXPORT_FILENAME),
    ]
    text = steady.telegram.bot.files[page.document].decode()
    sections: dict[str, list[str]] = {}
    *blocks, foot = text.split("\n\n")[1:]
    assert foot == texts.EXPORT_FOOT.strip()
    for block in blocks:
        title, _rule, *lines = block.split("\n")
        sections[title] = lines
    when = r"\w{3} \d{2} \w{3} \d{4}, \d{2}:\d{2}"
    assert re.fullmatch(
        rf"• “I'm proud of you\.” — agreed {when}", only(sections["Your words for Sam"])
    )
    assert re.fullmatch(
        rf"• “You are my person\.” — agreed {when}", only(sections["Sam's words for you"])
    )
    assert [line.split(" — ", 1)[1] for line in sections[texts.EXPORT_JOURNAL]] == [
        "You: Picnic in the rain",
        "Sam: Sam's own moment",
    ]
    assert re.fullmatch(
        rf"• {when} — “it went silent after our call”; I felt alone",
        only(sections[texts.EXPORT_TRIGGERS]),
    )
    assert re.fullmatch(rf"• {when} — Proud of you", only(sections[texts.EXPORT_NOTES]))
    assert re.fullmatch(rf"• {when}", only(sections[texts.EXPORT_REQUESTS]))
    (ritual,) = sections[texts.EXPORT_RITUALS]
    assert "Check-in" in ritual and "09:30" in ritual
    assert sections[texts.EXPORT_DATES] == ["• 20 Mar 2019 — Your anniversary"]
    assert sections[texts.EXPORT_CHECKINS] == [texts.EXPORT_NOTHING]
    assert "Europe/Berlin" in text.split("\n\n")[0]
    # Nothing internal: no ids, keys, hashes or stored file ids.
    async with steady.rt.db.transaction() as session:
        hashes = list(await session.scalars(select(Invite.token_hash)))
    assert hashes and not any(h in text for h in hashes)
    for internal in ("token", "hash", "_id", '"id"', "dedupe", "{", "payload"):
        assert internal not in text


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
