"""Self-soothing: /breathe shows box breathing by editing one message in time, with Stop and a
gentle check at the end; /ground walks the 5-4-3-2-1 exercise one tap at a time."""

from __future__ import annotations

import time

import pytest

from bot import callbacks, texts
from bot.services import soothing
from tests.faketelegram import FakeUser, Message
from tests.harness import Steady


async def wait_until(message: Message, text: str, user: FakeUser, timeout: float = 10) -> None:
    await user.server.wait_for(lambda: text in message.shown or None, timeout, what=text)


async def test_breathing_edits_one_message_through_every_step_and_asks_if_steadier(
    steady: Steady,
) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await alex.expect("Steady helps")
    await alex.send("/breathe")
    breathing = await alex.expect(texts.BREATHE_START)
    assert breathing.shown.endswith(soothing.frame(0))
    assert "Breathe in … 4" in breathing.shown and "Round 1 of 4" in breathing.shown
    assert breathing.buttons == [texts.STOP_BUTTON]
    await wait_until(breathing, texts.BREATHE_DONE, alex, timeout=15)
    # One message, edited once per step — in, hold, out, hold, four rounds — then the question.
    edits = [line.text for line in steady.telegram.transcript if line.kind == "edit"]
    assert edits == [soothing.frame(step) for step in range(1, soothing.STEPS)] + [
        texts.BREATHE_DONE
    ]
    assert [text.splitlines()[0] for text in edits[:4]] == [
        "🌬 Hold … 4",
        "🌬 Breathe out … 4",
        "🌬 Hold … 4",
        "🌬 Breathe in … 4",
    ]
    assert "Round 4 of 4" in edits[-2]
    assert alex.unread == []  # no message but the one being edited
    assert breathing.buttons == [texts.STEADIER_YES, texts.STEADIER_NOT_YET]
    await alex.press(texts.STEADIER_NOT_YET, breathing)
    await steady.settle()
    assert breathing.shown == texts.STEADIER_MORE


async def test_stop_ends_the_breathing_at_once(steady: Steady) -> None:
    steady.rt.settings.breathe_seconds = 0.3  # slow enough that Stop lands mid-run
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/breathe")
    breathing = await alex.expect(texts.BREATHE_START)
    await steady.telegram.wait_for(lambda: breathing.edits >= 1, what="a step or so in")
    await alex.press(texts.STOP_BUTTON, breathing)
    await steady.settle()
    assert breathing.shown == texts.BREATHE_STOPPED
    assert steady.rt.breathing.steps_planned == 0  # no step after Stop


async def test_stop_after_a_restart_says_the_breathing_has_ended(steady: Steady) -> None:
    steady.rt.settings.breathe_seconds = 600  # no step before the restart
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/breathe")
    breathing = await alex.expect(texts.BREATHE_START)
    await steady.restart()  # the run lived in the old process only
    shown = breathing.shown
    answer = await alex.press(texts.STOP_BUTTON, breathing)
    await steady.settle()
    assert answer.text == texts.BREATHE_OVER
    assert breathing.shown == shown  # said, not written over the guide's words


async def test_someone_elses_stop_button_does_nothing(steady: Steady) -> None:
    alex, sam = steady.user("Alex"), steady.user("Sam")
    await alex.start()
    await sam.start()
    await alex.send("/breathe")
    breathing = await alex.expect(texts.BREATHE_START)
    stop = breathing.button_data(texts.STOP_BUTTON)
    await sam.send("/help")
    mine = await sam.expect("Here's what I can do")
    answer = await sam.press_data(stop, mine)
    assert answer.text == texts.BUTTON_STALE
    await wait_until(breathing, texts.BREATHE_DONE, alex)
    answer = await alex.press_data(callbacks.pack(callbacks.BREATHE, "x", 12345), breathing)
    assert answer.text == texts.BUTTON_STALE


async def test_grounding_is_one_step_per_tap(steady: Steady) -> None:
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/ground")
    step = await alex.expect("Name 5 things you can see")
    for expected in ("4 things you can touch", "3 things you can hear", "2 things you can smell"):
        await alex.press(texts.GROUND_NEXT, step)
        await steady.settle()
        assert expected in step.shown
    await alex.press(texts.GROUND_NEXT, step)
    await steady.settle()
    assert "1 thing you can taste" in step.shown and "Step 5 of 5" in step.shown
    await alex.press(texts.GROUND_NEXT, step)
    await steady.settle()
    assert step.shown == texts.GROUND_DONE
    await alex.press(texts.STEADIER_YES, step)
    await steady.settle()
    assert step.shown == texts.STEADIER_GLAD


@pytest.mark.slow
async def test_a_stalled_breathing_run_still_finishes(steady: Steady) -> None:
    """The process stalls past a step's moment (suspended, swapped out): the step comes late
    rather than never, so the run still ends and asks — APScheduler drops jobs more than a
    second late unless told otherwise."""
    steady.rt.settings.breathe_seconds = 0.5
    alex = steady.user("Alex")
    await alex.start()
    await alex.send("/breathe")
    breathing = await alex.expect(texts.BREATHE_START)
    await steady.telegram.wait_for(lambda: steady.rt.breathing.steps_planned, what="a step")
    time.sleep(2)  # noqa: ASYNC251 — the stall itself, past the step's moment: nothing runs
    steady.rt.settings.breathe_seconds = 0.05  # the rest of the run, quickly
    await wait_until(breathing, texts.BREATHE_DONE, alex, timeout=15)
    assert breathing.buttons == [texts.STEADIER_YES, texts.STEADIER_NOT_YET]
