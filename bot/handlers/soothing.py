"""/breathe and /ground. Breathing is one message that the breathing guide (jobs/breathing.py)
edits step by step, with a Stop button; grounding is one step per tap of Next."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks, keyboards, texts
from bot.callbacks import Callback
from bot.handlers.common import (
    Reply,
    answer,
    edit_pressed,
    pressed_label,
    send,
    settle_pressed,
    unit_of_work,
)
from bot.runtime import Context
from bot.services import comfort, soothing


async def start_breathing(
    update: Update, context: Context, release: tuple[int, int] | None = None
) -> None:
    """Show the first step and hand the message to the breathing guide; `release`: words it
    holds until the breathing ends (person id, outbox row)."""
    breathing = context.bot_data.breathing
    run_id = breathing.new_id()
    first = f"{texts.BREATHE_START}\n\n{soothing.frame(0)}"
    message = await send(update, Reply(first, keyboards.breathing_stop(run_id)))
    breathing.begin(run_id, message.chat_id, message.message_id, release)


async def breathe(update: Update, context: Context) -> None:
    await start_breathing(update, context)


async def ground(update: Update, context: Context) -> None:
    first = _ground_step(0)
    assert first is not None
    await send(update, Reply(*first))


def _ground_step(step: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
    text = soothing.ground(step)
    if text is None:
        return None
    button = (texts.GROUND_NEXT, callbacks.pack(callbacks.GROUND, "n", step + 1))
    return text, keyboards.inline([[button]])


async def ground_pressed(update: Update, context: Context, pressed: Callback) -> None:
    step = pressed.ref or 0
    await answer(update)
    if pressed.action == "s":  # 🌿 Ground under another message: it keeps its words
        await settle_pressed(update)
        await ground(update, context)
        return
    shown = _ground_step(step)
    if shown is not None:
        await edit_pressed(update, *shown)
    else:
        await edit_pressed(update, texts.GROUND_DONE, keyboards.steadier())
        rt = context.bot_data
        async with unit_of_work(rt, update) as (session, person):
            await comfort.offer_okay(session, person, rt.clock.now())


async def breathe_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """Go (from a pause or a "not yet"), Stop, and the "a little steadier?" answers."""
    chat = update.effective_chat
    assert chat is not None
    if pressed.action == "g":
        await answer(update)
        await settle_pressed(update)
        await start_breathing(update, context)
    elif pressed.action == "x":
        if not await context.bot_data.breathing.stop(pressed.ref or 0, chat.id):
            # Not a run of this process: it ended, a restart came between, or another replica
            # runs it (its next step shows again). Said, not written over the guide's words.
            await answer(
                update, texts.BREATHE_OVER if pressed_label(update) else texts.BUTTON_STALE
            )
            return
        await answer(update)
        await edit_pressed(update, texts.BREATHE_STOPPED)
    else:
        await answer(update)
        glad = pressed.action == "y"
        await edit_pressed(update, texts.STEADIER_GLAD if glad else texts.STEADIER_MORE)
