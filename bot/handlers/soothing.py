"""/breathe and /ground. Breathing is one message edited step by step by the JobQueue, with a
Stop button; a run lives in memory only (after a restart its Stop button just says so).

Breathing can also hold something for its end: the agreed words of a request past the couple's
balance, which arrive when the minute is over (or at Stop)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import callbacks, keyboards, texts
from bot.callbacks import Callback
from bot.clock import RUN_HOWEVER_LATE
from bot.db.models import Person
from bot.handlers.common import Reply, answer, edit_pressed, send
from bot.runtime import Runtime, runtime
from bot.services import balance, soothing

log = logging.getLogger(__name__)

RUNS_KEY = "steady.breathing"


@dataclass
class Run:
    id: int
    chat_id: int
    message_id: int
    step: int = 0
    stopped: bool = False
    # (person id, outbox row): words to release when the breathing ends.
    release: tuple[int, int] | None = None


def _runs(context: ContextTypes.DEFAULT_TYPE) -> dict[int, Run]:
    return cast(dict[int, Run], context.application.bot_data.setdefault(RUNS_KEY, {}))


def _stop_button(run_id: int) -> InlineKeyboardMarkup | None:
    return keyboards.inline([[(texts.STOP_BUTTON, callbacks.pack(callbacks.BREATHE, "x", run_id))]])


def _steadier() -> InlineKeyboardMarkup | None:
    return keyboards.inline(
        [
            [
                (texts.STEADIER_YES, callbacks.pack(callbacks.BREATHE, "y")),
                (texts.STEADIER_NOT_YET, callbacks.pack(callbacks.BREATHE, "n")),
            ]
        ]
    )


def breathing_length(rt: Runtime) -> timedelta:
    return timedelta(seconds=soothing.STEPS * rt.settings.breathe_seconds)


async def start_breathing(
    context: ContextTypes.DEFAULT_TYPE, chat_id: int, release: tuple[int, int] | None = None
) -> None:
    rt = runtime(context)
    run_id = rt.rng.randrange(1, callbacks.MAX_ID)
    message = await context.bot.send_message(
        chat_id, f"{texts.BREATHE_START}\n\n{soothing.frame(0)}", reply_markup=_stop_button(run_id)
    )
    run = Run(run_id, chat_id, message.message_id, release=release)
    _runs(context)[run_id] = run
    _next_step(context, run, rt)


def _next_step(context: ContextTypes.DEFAULT_TYPE, run: Run, rt: Runtime) -> None:
    assert context.job_queue is not None
    context.job_queue.run_once(
        _step,
        when=rt.settings.breathe_seconds,
        data=run,
        name=f"breathe:{run.id}",
        job_kwargs=RUN_HOWEVER_LATE,  # a stalled breathing run still ends, and releases words
    )


async def _step(context: ContextTypes.DEFAULT_TYPE) -> None:
    assert context.job is not None
    run = cast(Run, context.job.data)
    if run.stopped:
        return
    run.step += 1
    done = run.step >= soothing.STEPS
    try:
        if done:
            await context.bot.edit_message_text(
                texts.BREATHE_DONE, run.chat_id, run.message_id, reply_markup=_steadier()
            )
        else:
            await context.bot.edit_message_text(
                soothing.frame(run.step),
                run.chat_id,
                run.message_id,
                reply_markup=_stop_button(run.id),
            )
    except TelegramError as exc:  # the message is gone, or the chat: the run ends quietly
        log.info("breathing stopped: %s", exc.message)
        done = True
    if run.id not in _runs(context):
        return  # Stop was pressed while this step was being shown: that ended the run
    if done:
        await _finish(context, run)
    else:
        _next_step(context, run, runtime(context))


async def _finish(context: ContextTypes.DEFAULT_TYPE, run: Run) -> None:
    run.stopped = True
    _runs(context).pop(run.id, None)
    if run.release is None:
        return
    rt = runtime(context)
    person_id, delivery_id = run.release
    async with rt.db.transaction() as session:
        person = await session.get(Person, person_id)
        if person is not None:
            await balance.release(session, person, delivery_id, rt.clock.now())


async def breathe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    chat = update.effective_chat
    assert chat is not None
    await start_breathing(context, chat.id)


async def ground(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    first = _ground_step(0)
    assert first is not None
    await send(update, Reply(*first))


def _ground_step(step: int) -> tuple[str, InlineKeyboardMarkup | None] | None:
    text = soothing.ground(step)
    if text is None:
        return None
    button = (texts.GROUND_NEXT, callbacks.pack(callbacks.GROUND, "n", step + 1))
    return text, keyboards.inline([[button]])


async def ground_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pressed: Callback
) -> None:
    step = pressed.ref or 0
    await answer(update)
    shown = _ground_step(step)
    if shown is not None:
        await edit_pressed(update, *shown)
    else:
        await edit_pressed(update, texts.GROUND_DONE, _steadier())


async def breathe_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pressed: Callback
) -> None:
    """Go (from a pause or a "not yet"), Stop, and the "a little steadier?" answers."""
    chat = update.effective_chat
    assert chat is not None
    if pressed.action == "g":
        await answer(update)
        await edit_pressed(update)
        await start_breathing(context, chat.id)
    elif pressed.action == "x":
        run = _runs(context).get(pressed.ref or 0)
        if run is None or run.chat_id != chat.id:
            await answer(update, texts.BUTTON_STALE)
            await edit_pressed(update)
            return
        await answer(update)
        await _finish(context, run)
        await edit_pressed(update, texts.BREATHE_STOPPED)
    else:
        await answer(update)
        glad = pressed.action == "y"
        await edit_pressed(update, texts.STEADIER_GLAD if glad else texts.STEADIER_MORE)
