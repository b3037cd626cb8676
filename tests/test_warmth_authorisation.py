"""The buttons that answer warmth (💛, ✍️ Reply, "Send this to Alex?") and a hard moment (a hug,
a call, ✍️ Write, "I'm okay now") are checked like every other: forged, another couple's, the
wrong partner's, or from before an unpairing — refused, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot import callbacks, texts
from bot.db.models import Delivery, Draft, Person
from bot.services import comfort, outbox
from tests import worlds
from tests.databases import Databases
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import invite, pair
from tests.test_authorisation import assert_nothing_happened, press_as, snapshot
from tests.worlds import Prepared, World


async def story(steady: Steady) -> dict[str, Any]:
    """Two couples and an outsider; one of each answerable thing, all Alex's or Sam's."""
    alex, sam = await pair(steady, "Alex", "Sam")
    await pair(steady, "Kim", "Lee")
    zoe = steady.user("Zoe")
    await zoe.start()
    await zoe.expect("Steady helps")
    await alex.send("/journal A good day")
    await sam.expect("📓 Alex added to your journal")
    await steady.settle()
    await sam.send("Lovely")  # just after Alex's words: offered, not sent
    await sam.expect(texts.send_this("Alex"))
    now = steady.clock.now()
    async with steady.rt.db.transaction() as session:
        people = {p.first_name: p for p in await session.scalars(select(Person))}
        low = await outbox.tell_partner(
            session,
            people["Sam"],
            people["Alex"],
            key="checkin:test",
            kind=comfort.LOW_KIND,
            text=texts.checkin_shared("Sam", texts.MOODS[2]),
            buttons_for=comfort.low_checkin_buttons,
            now=now,
        )
        assert await comfort.offer_okay(session, people["Sam"], now)
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        warm = await session.scalar(select(Delivery.id).where(Delivery.kind == "journal"))
        offer = await session.scalar(select(Delivery.id).where(Delivery.kind == comfort.OFFER_KIND))
        draft = await session.scalar(select(Draft.id))
    return {"warm": warm, "draft": draft, "low": low, "offer": offer}


@pytest.fixture(scope="module")
def prepared(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return worlds.prepare(databases, tmp_path_factory.mktemp("world"), story)


# (kind, action, which id, who may press it)
BUTTONS = [
    (callbacks.WARMTH, "h", "warm", "sam"),
    (callbacks.WARMTH, "r", "warm", "sam"),
    (callbacks.WARMTH, "s", "draft", "sam"),
    (callbacks.WARMTH, "k", "draft", "sam"),
    (callbacks.COMFORT, "g", "low", "alex"),
    (callbacks.COMFORT, "c", "low", "alex"),
    (callbacks.COMFORT, "w", "low", "alex"),
    (callbacks.COMFORT, "o", "offer", "sam"),
]
FORGERIES = [
    (*button, who) for button in BUTTONS for who in ("wrong_partner", "other_couple", "outsider")
]


def presser_of(w: World, owner: str, who: str) -> FakeUser:
    other = "alex" if owner == "sam" else "sam"
    user: FakeUser = {"wrong_partner": w[other], "other_couple": w["kim"], "outsider": w["zoe"]}[
        who
    ]
    return user


@pytest.mark.parametrize(("kind", "action", "ref", "owner", "who"), FORGERIES)
async def test_an_answer_button_that_is_not_yours_changes_nothing(
    w: World, kind: str, action: str, ref: str, owner: str, who: str
) -> None:
    presser = presser_of(w, owner, who)
    before = await snapshot(w.steady)
    answer = await press_as(presser, callbacks.pack(kind, action, w[ref]))
    assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(w.steady, before, w, presser)


@pytest.mark.parametrize(("kind", "action", "ref", "owner"), BUTTONS)
async def test_answer_buttons_from_before_an_unpairing_change_nothing(
    w: World, kind: str, action: str, ref: str, owner: str
) -> None:
    steady = w.steady
    alex, sam = w["alex"], w["sam"]
    await alex.send("/unpair")
    await alex.press(texts.UNPAIR_YES_BUTTON, await alex.expect("Unpair from Sam?"))
    await sam.expect("has ended your pairing")
    link, _ = await invite(alex)  # and pair again: the old buttons belong to the old couple
    await sam.open_link(link)
    await alex.expect("You're paired with Sam")
    await steady.settle()
    for user in (alex, sam):
        user.mark_read()
    before = await snapshot(steady)
    answer = await press_as(w[owner], callbacks.pack(kind, action, w[ref]))
    assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(steady, before, w, w[owner])


async def test_the_rightful_presser_of_an_answer_button_is_not_refused(w: World) -> None:
    """The tables above mean something only if the same presses work for their owners."""
    alex, sam = w["alex"], w["sam"]
    assert await press_as(sam, callbacks.pack(callbacks.WARMTH, "h", w["warm"])) == "Sent to Alex."
    await alex.expect(texts.tapped_back("Sam"))
    assert await press_as(sam, callbacks.pack(callbacks.WARMTH, "s", w["draft"])) is None
    await alex.expect(texts.from_partner("Sam", "Lovely"))
    assert await press_as(alex, callbacks.pack(callbacks.COMFORT, "g", w["low"])) == "Sent to Sam."
    await sam.expect(texts.hug_from("Alex"))
    answer = await press_as(sam, callbacks.pack(callbacks.COMFORT, "o", w["offer"]))
    assert answer == texts.okay_told("Alex")
    await alex.expect(texts.okay_now("Sam"))
