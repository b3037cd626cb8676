"""A question for two: the same question to both at one instant; each answers privately; both
answers go to both once both answered; an unanswered one lapses quietly at the next. Its button
is checked like every other: forged, another couple's, after unpairing — refused, nothing
changes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot import callbacks, texts
from bot.db.models import Delivery, Person
from bot.services import questions
from tests import worlds
from tests.databases import Databases
from tests.faketelegram import FakeUser
from tests.harness import Steady
from tests.stories import invite, pair
from tests.test_authorisation import assert_nothing_happened, press_as, snapshot
from tests.test_rituals import set_zone, utc
from tests.worlds import Prepared, World


def question_of(prompt: str) -> str:
    return prompt.split("“", 1)[1].split("”", 1)[0]


async def alice_and_bob_with_a_question(steady: Steady) -> tuple[FakeUser, FakeUser]:
    alice, bob = await pair(steady, "Alice", "Bob")
    await set_zone(alice, "Europe/Berlin")
    await set_zone(bob, "America/New_York")
    for user in (alice, bob):
        await user.expect(texts.STARTER_INTRO)  # the guided first minute's last step
    await alice.send("/ritual add question 20:00 daily")
    await alice.expect("Added: A question for two · every day 20:00 Berlin time")
    await bob.expect(
        "Alice added a ritual for you both: A question for two · every day 20:00 Berlin "
        "(14:00 your time)"
    )
    return alice, bob


async def test_both_get_the_same_question_at_once_and_see_the_answers_only_when_both_answered(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob_with_a_question(steady)
    await steady.advance_to(utc(2026, 3, 2, 18, 59))
    assert not any("A question for you both" in m.shown for m in alice.inbox + bob.inbox)
    await steady.advance_to(utc(2026, 3, 2, 19, 0))  # 20:00 in Berlin, 14:00 in New York
    hers = await alice.expect("A question for you both")
    his = await bob.expect("A question for you both")
    assert question_of(hers.shown) == question_of(his.shown) in texts.QUESTIONS
    assert hers.buttons == [texts.QUESTION_ANSWER_BUTTON]
    await alice.press(texts.QUESTION_ANSWER_BUTTON, hers)
    await alice.expect("The next text you send is your answer.")
    await alice.send("Your laugh at breakfast.")
    await alice.expect(texts.QUESTION_KEPT)
    await steady.settle()
    assert bob.unread == []  # private until Bob has answered too
    again = await alice.press(texts.QUESTION_ANSWER_BUTTON, hers)
    assert again.text == texts.QUESTION_ALREADY
    await bob.press(texts.QUESTION_ANSWER_BUTTON, his)
    await bob.expect("The next text you send is your answer.")
    await bob.send("When you waited for me at the station.")
    revealed = await bob.expect("You both answered")
    assert revealed.shown.endswith(
        "You: When you waited for me at the station.\n\nAlice: Your laugh at breakfast."
    )
    hers_revealed = await alice.expect("You both answered")
    assert hers_revealed.shown.endswith(
        "You: Your laugh at breakfast.\n\nBob: When you waited for me at the station."
    )
    assert question_of(hers.shown) in hers_revealed.shown


async def test_an_unanswered_question_lapses_at_the_next_one_and_nobody_is_told(
    steady: Steady,
) -> None:
    alice, bob = await alice_and_bob_with_a_question(steady)
    await steady.advance_to(utc(2026, 3, 2, 19, 0))
    first_hers = await alice.expect("A question for you both")
    first_his = await bob.expect("A question for you both")
    await alice.press(texts.QUESTION_ANSWER_BUTTON, first_hers)
    await alice.send("The lake, last summer.")
    await alice.expect(texts.QUESTION_KEPT)
    await steady.settle()
    alice.mark_read()
    bob.mark_read()
    await steady.walk(timedelta(hours=23, minutes=30))
    await bob.press(texts.QUESTION_ANSWER_BUTTON, first_his)  # Bob begins, then life happens
    await bob.expect("The next text you send is your answer.")
    await steady.walk(timedelta(minutes=30))  # the next question
    second_hers = await alice.expect("A question for you both")
    second_his = await bob.expect("A question for you both")
    assert question_of(second_hers.shown) != question_of(first_hers.shown)
    # Nothing else reached either: no reminder, no "Bob didn't answer", no reveal.
    await steady.settle()
    assert alice.unread == [] and bob.unread == []
    await bob.send("Too late?")
    await bob.expect(texts.QUESTION_PASSED)
    passed = await bob.press(texts.QUESTION_ANSWER_BUTTON, first_his)
    assert passed.text == texts.QUESTION_PASSED
    await steady.settle()
    assert alice.unread == []
    # The new one is answered as usual.
    await bob.press(texts.QUESTION_ANSWER_BUTTON, second_his)
    await bob.send("Cooking together.")
    await bob.expect(texts.QUESTION_KEPT)


def test_no_question_repeats_until_all_were_asked() -> None:
    total = len(texts.QUESTIONS)
    assert total >= 60 and len(set(texts.QUESTIONS)) == total
    for couple in (1, 2, 77):
        asked: list[int] = []
        for _ in range(2 * total + 5):
            asked.append(questions.pick_next(couple, asked))
        assert sorted(asked[:total]) == list(range(total))
        assert sorted(asked[total : 2 * total]) == list(range(total))
        assert len(set(asked[2 * total :])) == 5
    # Each couple goes through them in its own order.
    assert len({questions.pick_next(c, []) for c in range(10)}) > 1


# --- who may press ✍️ Answer ------------------------------------------------------------------


async def story(steady: Steady) -> dict[str, Any]:
    """Two couples, Alex and Sam with a question just asked and a date just announced, and an
    outsider."""
    alex, sam = await pair(steady, "Alex", "Sam")
    await pair(steady, "Kim", "Lee")
    zoe = steady.user("Zoe")
    await zoe.start()
    await zoe.expect("Steady helps")
    await set_zone(alex, "UTC")
    await set_zone(sam, "UTC")
    await alex.send("/ritual add question 09:30 daily")
    await alex.expect("Added:")
    await alex.send("/ritual add date 09:31 daily")
    await alex.expect("Added:")
    await steady.advance_to(utc(2026, 3, 2, 9, 31))
    for user in (alex, sam):
        await user.expect("A question for you both")
        await user.expect("plan something?")
    await steady.settle()
    refs = {}
    async with steady.rt.db.transaction() as session:
        for kind in ("question", "date"):
            refs[kind] = await session.scalar(
                select(Delivery.id)
                .join(Person, Person.id == Delivery.recipient_id)
                .where(Delivery.kind == kind, Person.first_name == "Alex")
            )
    return refs


@pytest.fixture(scope="module")
def prepared(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return worlds.prepare(databases, tmp_path_factory.mktemp("world"), story)


# (callback kind, action, which delivery): Alex's ✍️ Answer and his Planned ✓.
SHARED_BUTTONS = [(callbacks.QUESTION, "a", "question"), (callbacks.DATE, "p", "date")]


@pytest.mark.parametrize(("kind", "action", "ref"), SHARED_BUTTONS)
@pytest.mark.parametrize("who", ["wrong_partner", "other_couple", "outsider"])
async def test_a_shared_ritual_button_that_is_not_yours_changes_nothing(
    w: World, kind: str, action: str, ref: str, who: str
) -> None:
    presser: FakeUser = {"wrong_partner": w["sam"], "other_couple": w["kim"], "outsider": w["zoe"]}[
        who
    ]
    before = await snapshot(w.steady)
    answer = await press_as(presser, callbacks.pack(kind, action, w[ref]))
    assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(w.steady, before, w, presser)


@pytest.mark.parametrize(("kind", "action", "ref"), SHARED_BUTTONS)
async def test_a_shared_ritual_button_of_a_couple_that_unpaired_changes_nothing(
    w: World, kind: str, action: str, ref: str
) -> None:
    alex, sam = w["alex"], w["sam"]
    await alex.send("/unpair")
    await alex.press(texts.UNPAIR_YES_BUTTON, await alex.expect("Unpair from Sam?"))
    await sam.expect("has ended your pairing")
    link, _ = await invite(alex)
    await sam.open_link(link)
    await alex.expect("You're paired with Sam")
    await w.steady.settle()
    alex.mark_read()
    sam.mark_read()
    before = await snapshot(w.steady)
    answer = await press_as(alex, callbacks.pack(kind, action, w[ref]))
    assert answer == texts.BUTTON_STALE
    await assert_nothing_happened(w.steady, before, w, alex)


async def test_the_rightful_presser_is_not_refused(w: World) -> None:
    """The refusals above mean something only if the same presses work for their owner."""
    answer = await press_as(w["alex"], callbacks.pack(callbacks.QUESTION, "a", w["question"]))
    assert answer is None
    await w["alex"].expect("The next text you send is your answer.")
    answer = await press_as(w["alex"], callbacks.pack(callbacks.DATE, "p", w["date"]))
    assert answer is None
    await w["sam"].expect("Alex marked your date as planned ✓")
