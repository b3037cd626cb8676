"""Every command acts on the caller's own couple only: someone outside the couple — a stranger,
or a former partner after unpairing — changes nothing of it and reaches neither partner. In a
group, only a command addressed to Steady gets an answer."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot import texts
from bot.db.base import Base
from bot.db.models import Person
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import agree_phrase, pair

# An argument for each command that takes one; the rest are also tried with a stray "1".
ARGUMENTS = {
    "join": "AAAAAAAAAAAAAAAAAAAAAA",
    "phrase": "Stay close.",
    "offer": "I'm proud of you.",
    "ritual": "add checkin 12:30 daily",
    "timezone": "Europe/Berlin",
    "quiet": "22:00-07:00",
    "notes": "Thinking of you",
    "note": "See you soon",
    "safeword": "kiwi",
    "busy": "2h work",
    "journal": "A good day",
    "appreciate": "You're kind",
    "trigger": "you replied late",
    "away": "2026-04-01 travel",
    "dates": "add anniversary 2019-06-14",
    "balance": "3 2h",
}
CALLS = [f"/{name} {ARGUMENTS.get(name, '1')}" for name, _ in texts.COMMANDS] + [
    f"/{name}" for name, _ in texts.COMMANDS
]


async def couple_rows(steady: Steady, couple_id: int, members: set[int]) -> dict[str, Any]:
    """Every row of the couple or its members (people rows without the touch timestamp)."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with steady.rt.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name != "seen_at"]
            rows = await session.execute(select(*columns).order_by(*table.primary_key.columns))
            keep = []
            for row in rows:
                values = dict(zip([c.name for c in columns], row, strict=True))
                person_refs = {
                    values[c.name]
                    for c in table.columns
                    if any(fk.column.table.name == "people" for fk in c.foreign_keys)
                }
                if table.name == "people":
                    person_refs.add(values["id"])
                if values.get("couple_id") == couple_id or person_refs & members:
                    keep.append(tuple(row))
            out[table.name] = keep
    return out


@pytest.fixture
async def world(steady: Steady) -> dict[str, Any]:
    alex, sam = await pair(steady, "Alex", "Sam")
    await agree_phrase(alex, sam, "Stay.")
    uma, vic = await pair(steady, "Uma", "Vic")
    await uma.send("/unpair")
    await uma.press(texts.UNPAIR_YES_BUTTON, await uma.expect("Unpair from Vic?"))
    await uma.expect("You're unpaired")
    zoe = steady.user("Zoe")
    await zoe.start()
    await zoe.expect("Steady helps")
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        ids = {
            p.first_name: (p.id, p.couple_id)
            for p in await session.scalars(
                select(Person).where(Person.first_name.in_(["Alex", "Sam", "Vic"]))
            )
        }
    for user in (alex, sam, vic):
        user.mark_read()
    return {"alex": alex, "sam": sam, "uma": uma, "vic": vic, "zoe": zoe, "ids": ids}


@pytest.mark.parametrize("caller", ["zoe", "uma"])
async def test_no_command_from_outside_a_couple_touches_it(
    steady: Steady, world: dict[str, Any], caller: str
) -> None:
    alex_id, couple_id = world["ids"]["Alex"]
    sam_id, _ = world["ids"]["Sam"]
    vic_id, _ = world["ids"]["Vic"]
    members = {alex_id, sam_id, vic_id}
    before = await couple_rows(steady, couple_id, members)
    user: FakeUser = world[caller]
    for call in CALLS:
        await user.send(call)
        await steady.settle()
    assert await couple_rows(steady, couple_id, members) == before
    for name in ("alex", "sam", "vic"):
        assert world[name].unread == [], (name, [m.shown for m in world[name].unread])


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
