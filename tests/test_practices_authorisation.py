"""Every button the practices add is checked against the presser's own couple and role: a forged
or borrowed press changes nothing, tells nobody anything, and gets a short notice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import callbacks, texts
from bot.db.models import Agreement, Delivery, Pause, Person, Trigger
from bot.services import outbox
from tests import worlds
from tests.databases import Databases
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import agree_phrase, pair
from tests.test_authorisation import assert_nothing_happened, press_as, snapshot
from tests.worlds import Prepared, World


async def _id(steady: Steady, query: Any) -> int:
    async with steady.rt.db.transaction() as session:
        value = await session.scalar(query)
    assert value is not None
    return int(value)


async def story(steady: Steady) -> dict[str, Any]:
    """Two couples, an outsider, and one of each new pressable thing, all Alex's or Sam's."""
    alex, sam = await pair(steady, "Alex", "Sam")
    await pair(steady, "Kim", "Lee")
    zoe = steady.user("Zoe")
    await zoe.start()
    await zoe.expect("Steady helps")
    await alex.send("/safeword kiwi")  # Sam answers it
    await sam.expect("Alex suggests “kiwi”")
    await alex.send("/pause")
    await alex.press("20 minutes", await alex.expect(texts.PAUSE_ASK))
    await steady.advance(timedelta(minutes=20))
    await alex.expect("Coming back together")
    await agree_phrase(alex, sam, "Here.")
    await alex.send("/balance 1 30m")
    await sam.press(texts.AGREE_BUTTON, await sam.expect("Alex suggests a balance setting"))
    await alex.expect("Sam agreed")
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.tap(texts.REASSURE_BUTTON)
    await alex.expect(texts.BREATHE_FIRST)  # these words wait for Alex's choice
    await alex.send("/journal A good day")
    await alex.expect("Added to your journal")
    await alex.send("/trigger you replied late")
    ask = await alex.expect(texts.TRIGGER_FEELING_ASK)
    await alex.press("scared", ask)
    await steady.settle()
    await alex.press("reassurance", ask)
    await alex.send("/away 2026-03-10")
    await alex.expect("Away until")
    await steady.settle()
    async with steady.rt.db.transaction() as session:
        person = await session.scalar(select(Person).where(Person.first_name == "Alex"))
        assert person is not None
        review = await outbox.enqueue(
            session,
            key="review:test",
            recipient=person,
            kind="review",
            text="Do these rituals still work for you both?",
            couple_id=person.couple_id,
            now=steady.clock.now(),
        )
    await steady.settle()
    return {
        "agreement": await _id(steady, select(Agreement.id).where(Agreement.kind == "safeword")),
        "pause": await _id(steady, select(Pause.id)),
        "held": await _id(
            steady,
            select(Delivery.id).where(
                Delivery.kind == "reassure_words", Delivery.status == "pending"
            ),
        ),
        "couple": await _id(steady, select(Person.couple_id).where(Person.first_name == "Alex")),
        "trigger": await _id(steady, select(Trigger.id)),
        "reconnect": await _id(
            steady,
            select(Delivery.id).where(
                Delivery.kind == "reconnect", Delivery.recipient_id == person.id
            ),
        ),
        "review": review,
    }


@pytest.fixture(scope="module")
def prepared(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return worlds.prepare(databases, tmp_path_factory.mktemp("world"), story)


# (kind, action, refs by name or number, who may press it; None: either partner)
BUTTONS: list[tuple[str, str, tuple[str | int, ...], str | None]] = [
    (callbacks.AGREEMENT, "a", ("agreement",), "sam"),
    (callbacks.AGREEMENT, "d", ("agreement",), "sam"),
    (callbacks.PAUSE, "e", ("pause", 0), "alex"),
    (callbacks.PAUSE, "e", ("pause", 1), "alex"),
    (callbacks.BALANCE, "b", ("held",), "alex"),
    (callbacks.BALANCE, "s", ("held",), "alex"),
    (callbacks.JOURNAL, "pg", ("couple", 1), None),
    (callbacks.JOURNAL, "ph", ("couple", 1), None),
    (callbacks.TRIGGER, "f", ("trigger", 0), "alex"),
    (callbacks.TRIGGER, "n", ("trigger", 1), "alex"),
    (callbacks.TRIGGER, "s", ("trigger",), "alex"),
    (callbacks.TRIGGER, "t", ("trigger",), "alex"),
    (callbacks.TRIGGER, "p", ("trigger",), "alex"),
    (callbacks.AWAY, "y", ("reconnect",), "alex"),
    (callbacks.REVIEW, "k", ("review",), "alex"),
    (callbacks.REVIEW, "c", ("review",), "alex"),
]
FORGERIES = [
    (*button, who)
    for button in BUTTONS
    for who in ("wrong_partner", "other_couple", "outsider")
    if not (button[3] is None and who == "wrong_partner")
]


@pytest.mark.parametrize(("kind", "action", "refs", "owner", "who"), FORGERIES)
async def test_a_practice_button_that_is_not_yours_changes_nothing(
    w: World,
    kind: str,
    action: str,
    refs: tuple[str | int, ...],
    owner: str | None,
    who: str,
) -> None:
    steady = w.steady
    other = "alex" if owner == "sam" else "sam"
    presser: FakeUser = {"wrong_partner": w[other], "other_couple": w["kim"], "outsider": w["zoe"]}[
        who
    ]
    data = callbacks.pack(kind, action, *(w[r] if isinstance(r, str) else r for r in refs))
    before = await snapshot(steady)
    answer = await press_as(presser, data)
    assert answer in (texts.BUTTON_STALE, texts.NOT_PAIRED)
    await assert_nothing_happened(steady, before, w, presser)


async def test_the_rightful_presser_of_a_practice_button_is_not_refused(w: World) -> None:
    """The table above means something only if the same presses work for their owners."""
    data = callbacks.pack(callbacks.AGREEMENT, "a", w["agreement"])
    assert await press_as(w["sam"], data) is None
    await w["alex"].expect("Sam agreed: “kiwi”")
    answer = await press_as(w["alex"], callbacks.pack(callbacks.AWAY, "y", w["reconnect"]))
    assert answer == "I've let Sam know."
    await w["sam"].expect("Alex would like 20 minutes to reconnect")
    assert await press_as(w["alex"], callbacks.pack(callbacks.BALANCE, "s", w["held"])) is None
    await w["alex"].expect("💛 From Sam")
