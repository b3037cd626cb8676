"""☰ More, /menu and /help: every practice a tap away, from every state a person can be in."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot import texts
from tests.faketelegram import FakeUser, Message
from tests.harness import Steady
from tests.stories import invite, pair

LABELS = [label for row in texts.MENU_ROWS for _, label in row]
HELP = "❔ Help"


def label(action: str) -> str:
    return next(lbl for row in texts.MENU_ROWS for a, lbl in row if a == action)


async def open_menu(user: FakeUser) -> Message:
    if texts.MENU_BUTTON in user.keyboard:
        await user.tap(texts.MENU_BUTTON)
    else:
        await user.send("/menu")
    menu = await user.expect(texts.MENU_TEXT)
    assert menu.buttons == LABELS
    return menu


async def test_the_more_key_sits_under_the_text_box_and_opens_every_practice(
    steady: Steady,
) -> None:
    alex, sam = await pair(steady)
    for person in (alex, sam):
        assert person.keyboard == [
            texts.REASSURE_BUTTON,
            texts.MOMENT_BUTTON,
            texts.MENU_BUTTON,
        ]
    await alex.tap(texts.MENU_BUTTON)
    menu = await alex.expect(texts.MENU_TEXT)
    assert menu.buttons == LABELS
    await alex.send("/menu")
    assert (await alex.expect(texts.MENU_TEXT)).buttons == LABELS
    await steady.settle()
    assert sam.unread == []  # opening a menu tells the partner nothing


async def test_each_button_does_what_its_bare_command_does_without_typing(
    steady: Steady,
) -> None:
    alex, _sam = await pair(steady)
    menu = await open_menu(alex)
    await alex.press(label("b"), menu)
    await alex.expect(texts.BREATHE_START)
    await alex.press(label("g"), menu)
    await alex.expect(texts.ground_step(0))
    # Those that need words say how to give them; the menu's own text is never taken for them.
    for key, answer in (
        ("u", texts.BUSY_USAGE),
        ("a", texts.AWAY_USAGE),
        ("t", texts.TRIGGER_USAGE),
        ("j", texts.JOURNAL_EMPTY),
        ("r", texts.RITUALS_NONE),
        ("d", texts.DATES_EMPTY),
        ("w", "Sam"),
    ):
        await alex.press(label(key), menu)
        await alex.expect(answer)
    await alex.press(label("p"), menu)
    picture = await alex.expect(texts.INSIGHTS_CAPTION)
    assert picture.photo is not None
    await alex.press(HELP, menu)
    await alex.expect("Here's what I can do")
    assert menu.buttons == LABELS  # the menu stays, for the next choice


async def _new(steady: Steady) -> FakeUser:
    alex = steady.user("Alex")
    await alex.start()
    await alex.expect("Steady helps")
    return alex


async def _invited(steady: Steady) -> FakeUser:
    alex = await _new(steady)
    await invite(alex)
    return alex


async def _paired(steady: Steady) -> FakeUser:
    alex, _ = await pair(steady)
    return alex


async def _taking_a_moment(steady: Steady) -> FakeUser:
    alex, _ = await pair(steady)
    await alex.tap(texts.MOMENT_BUTTON)
    ask = await alex.expect(texts.PAUSE_ASK)
    await alex.press("20 minutes", ask)
    await steady.settle()
    alex.mark_read()
    return alex


async def _away(steady: Steady) -> FakeUser:
    alex, _ = await pair(steady)
    await alex.send("/away 2026-03-10")
    await alex.expect("Away until")
    return alex


async def _unpaired(steady: Steady) -> FakeUser:
    alex, _ = await pair(steady)
    await alex.send("/unpair")
    await alex.press(texts.UNPAIR_YES_BUTTON, await alex.expect("Unpair from Sam?"))
    await alex.expect(texts.UNPAIRED)
    return alex


STATES: dict[str, tuple[Callable[[Steady], Awaitable[FakeUser]], bool]] = {
    "new": (_new, False),
    "invited": (_invited, False),
    "paired": (_paired, True),
    "taking a moment": (_taking_a_moment, True),
    "away": (_away, True),
    "unpaired": (_unpaired, False),
}


@pytest.mark.parametrize("state", list(STATES))
async def test_the_menu_is_reachable_from_every_state_and_answers_for_it(
    steady: Steady, state: str
) -> None:
    reach, paired = STATES[state]
    alex = await reach(steady)
    assert (texts.MENU_BUTTON in alex.keyboard) == paired
    menu = await open_menu(alex)
    # Soothing is for everyone, paired or not.
    await alex.press(label("b"), menu)
    await alex.expect(texts.BREATHE_START)
    # What needs a partner answers for the presser's own state.
    await alex.press(label("w"), menu)
    words = await alex.next_message()
    assert (words.shown == texts.NOT_PAIRED) == (not paired), words.shown


async def test_a_menu_kept_from_before_unpairing_reaches_nobody(steady: Steady) -> None:
    alex, sam = await pair(steady)
    menu = await open_menu(alex)
    await alex.send("/unpair")
    await alex.press(texts.UNPAIR_YES_BUTTON, await alex.expect("Unpair from Sam?"))
    await alex.expect(texts.UNPAIRED)
    await sam.expect("ended your pairing")
    await steady.settle()
    sam.mark_read()
    for action in ("w", "r", "d", "p", "j"):
        await alex.press(label(action), menu)
        await alex.expect(texts.NOT_PAIRED)
    await steady.settle()
    assert sam.unread == []


async def test_help_is_short_grouped_and_has_the_buttons(steady: Steady) -> None:
    alex, _sam = await pair(steady)
    await alex.send("/help")
    help_message = await alex.expect("Here's what I can do")
    lines = help_message.shown.splitlines()
    assert [line.split(":")[0] for line in lines[2:7]] == [
        "Together",
        "Words",
        "Rituals",
        "When it's hard",
        "Privacy",
    ]
    assert len(lines) <= 10
    assert help_message.buttons == [lbl for lbl in LABELS if lbl != HELP]
    await alex.press(label("g"), help_message)
    await alex.expect(texts.ground_step(0))
