"""Every button press is checked against the presser's own couple and role. A press that isn't
theirs — forged data, another couple's ids, the wrong partner, a couple that has unpaired, a
press in a group — changes nothing, sends nothing, and is answered with a short notice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot import callbacks, texts
from bot.db.base import Base
from bot.db.models import Person, Phrase, ReassuranceRequest
from tests import worlds
from tests.databases import Databases
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import invite, pair
from tests.worlds import Prepared, World

VOLATILE = {"seen_at"}  # touched on every update by design


async def snapshot(steady: Steady) -> dict[str, list[tuple[Any, ...]]]:
    await steady.settle()
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with steady.rt.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in VOLATILE]
            rows = await session.execute(select(*columns).order_by(*table.primary_key.columns))
            tables[table.name] = [tuple(r) for r in rows]
    return tables


async def story(steady: Steady) -> dict[str, Any]:
    """Two couples with every kind of pressable thing, and an outsider."""
    alex, sam = await pair(steady, "Alex", "Sam")
    await pair(steady, "Kim", "Lee")
    zoe = steady.user("Zoe")
    await zoe.start()
    await zoe.expect("Steady helps")
    await alex.send("/phrase Proposed by Alex.")  # Sam is the giver
    await sam.expect("Proposed by Alex.")
    await sam.send("/offer Offered by Sam.")  # Alex is the receiver
    await alex.expect("Offered by Sam.")
    await alex.tap(texts.REASSURE_BUTTON)  # Sam is the partner of the request
    await sam.expect("asked for reassurance")
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        proposed = await session.scalar(select(Phrase.id).where(Phrase.text == "Proposed by Alex."))
        offered = await session.scalar(select(Phrase.id).where(Phrase.text == "Offered by Sam."))
        request = await session.scalar(select(ReassuranceRequest.id))
    couple = await _couple_of(steady, "Alex")
    return {"proposed": proposed, "offered": offered, "request": request, "couple": couple}


@pytest.fixture(scope="module")
def prepared(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return worlds.prepare(databases, tmp_path_factory.mktemp("world"), story)


async def _couple_of(steady: Steady, name: str) -> int:
    from bot.db.models import Person

    async with steady.rt.db.transaction() as session:
        value = await session.scalar(select(Person.couple_id).where(Person.first_name == name))
    assert value is not None
    return int(value)


# (callback kind, action, which id, who may press it)
BUTTONS = [
    (callbacks.PHRASE_ANSWER, "a", "proposed", "sam"),
    (callbacks.PHRASE_ANSWER, "e", "proposed", "sam"),
    (callbacks.PHRASE_ANSWER, "d", "proposed", "sam"),
    (callbacks.OFFER_ANSWER, "a", "offered", "alex"),
    (callbacks.OFFER_ANSWER, "d", "offered", "alex"),
    (callbacks.PHRASE_REMOVE, "x", "offered", "sam"),
    (callbacks.REPLY, "h", "request", "sam"),
    (callbacks.REPLY, "c", "request", "sam"),
    (callbacks.REPLY, "t", "request", "sam"),
    (callbacks.REPLY, "w", "request", "sam"),
    (callbacks.UNPAIR, "y", "couple", "alex"),
]
PRESSERS = ["wrong_partner", "other_couple", "outsider"]
# Both partners may unpair, so "the wrong partner" does not exist for that button.
FORGERIES = [
    (*button, who)
    for button in BUTTONS
    for who in PRESSERS
    if not (button[0] == callbacks.UNPAIR and who == "wrong_partner")
]


async def press_as(presser: FakeUser, data: str) -> str | None:
    await presser.send("/help")  # a message of the bot's in the presser's own chat
    message = await presser.expect("Here's what I can do")
    answer = await presser.press_data(data, message)
    return answer.text


async def assert_nothing_happened(
    steady: Steady, before: dict[str, Any], w: World, presser: FakeUser
) -> None:
    await steady.settle()
    assert await snapshot(steady) == before
    for name in ("alex", "sam", "kim", "lee", "zoe"):
        user: FakeUser = w[name]
        if user is not presser:
            assert user.unread == [], (name, [m.shown for m in user.unread])


@pytest.mark.parametrize(("kind", "action", "ref", "owner", "who"), FORGERIES)
async def test_a_press_that_is_not_yours_changes_nothing(
    w: World, kind: str, action: str, ref: str, owner: str, who: str
) -> None:
    steady = w.steady
    other = "alex" if owner == "sam" else "sam"
    presser: FakeUser = {"wrong_partner": w[other], "other_couple": w["kim"], "outsider": w["zoe"]}[
        who
    ]
    before = await snapshot(steady)
    answer = await press_as(presser, callbacks.pack(kind, action, w[ref]))
    assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(steady, before, w, presser)


@pytest.mark.parametrize(("kind", "action", "ref", "owner"), BUTTONS)
async def test_buttons_of_a_couple_that_unpaired_change_nothing(
    w: World, kind: str, action: str, ref: str, owner: str
) -> None:
    steady = w.steady
    alex, sam = w["alex"], w["sam"]
    await alex.send("/unpair")
    await alex.expect("Unpair from Sam?")
    await alex.press(texts.UNPAIR_YES_BUTTON)
    await alex.expect("You're unpaired")
    await sam.expect("has ended your pairing")
    # Both pair again, with each other: the old buttons still belong to the old couple.
    link, _ = await invite(alex)
    await sam.open_link(link)
    await sam.expect("You're paired with Alex")
    await alex.expect("You're paired with Sam")
    await steady.settle()
    for user in (alex, sam):
        user.mark_read()
    before = await snapshot(steady)
    answer = await press_as(w[owner], callbacks.pack(kind, action, w[ref]))
    assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(steady, before, w, w[owner])


@pytest.mark.parametrize(
    "data",
    [
        "",
        "x",
        "pa",
        "pa:a",
        "pa:a:",
        "pa:zz:1",
        "rr:h:-1",
        "rr:h:1.5",
        "up:y:99999999999",
        "zz:a:1",
        "pa:a:1:2",
        "PA:A:1",
        "rr:h:" + "9" * 19,
        "💛",
        "x" * 64,
        " pa:a:1",
        "pa:a:1 ",
    ],
)
async def test_garbled_or_foreign_callback_data_is_refused(w: World, data: str) -> None:
    steady = w.steady
    before = await snapshot(steady)
    answer = await press_as(w["sam"], data)
    assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(steady, before, w, w["sam"])


async def test_the_rightful_presser_is_not_refused(w: World) -> None:
    """The table above is only meaningful if the same presses work for their owner."""
    answer = await press_as(w["sam"], callbacks.pack(callbacks.REPLY, "h", w["request"]))
    assert answer == "Sent to Alex."
    answer = await press_as(w["alex"], callbacks.pack(callbacks.OFFER_ANSWER, "a", w["offered"]))
    assert answer is None
    await w["sam"].expect("Alex accepted your words")


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
