"""The safe word, /pause (and "⏸ I need a moment"), /resume, and the return prompt's extend
buttons."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks, keyboards, texts
from bot.callbacks import Callback
from bot.handlers.common import (
    Reply,
    answer,
    command_text,
    edit_pressed,
    rejection,
    send,
    settle_pressed,
    unit_of_work,
)
from bot.runtime import Context
from bot.services import agreements
from bot.services import pause as pause_service
from bot.services.common import Refusal
from bot.services.pause import AlreadyPaused, Extended, Started
from bot.services.people import partner_of
from bot.services.schedule import wall_time


async def pause(update: Update, context: Context) -> None:
    """/pause: choose how long."""
    await _offer(update, context, is_command=True)


async def moment(update: Update, context: Context) -> None:
    """The ⏸ button, or the agreed safe word alone: the same choice, and a reply the bot was
    waiting for (a note half-written) stays armed for afterwards."""
    await _offer(update, context, is_command=False)


async def _offer(update: Update, context: Context, *, is_command: bool) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=is_command) as (session, person):
        partner = await partner_of(session, person)
        until = pause_service.active_until(person, rt.clock.now())
    if partner is None:
        await send(update, Reply(texts.NOT_PAIRED, keyboards.no_keyboard()))
    elif until is not None:
        await send(update, texts.pause_already(wall_time(until, person.timezone)))
    else:
        await send(update, Reply(texts.PAUSE_ASK, keyboards.inline(pause_service.length_buttons())))


def _breathe_button() -> InlineKeyboardMarkup | None:
    return keyboards.inline(
        [[(texts.BREATHE_TOGETHER_BUTTON, callbacks.pack(callbacks.BREATHE, "g"))]]
    )


async def pause_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    now = rt.clock.now()
    async with unit_of_work(rt, update) as (session, person):
        result: Started | AlreadyPaused | Extended | Refusal | str
        if pressed.action == "s":
            result = await pause_service.start(session, person, pressed.refs[0], now)
        else:
            pause_id, choice = pressed.refs
            result = await pause_service.extend(session, person, pause_id, choice, now)
    if isinstance(result, Refusal):
        await answer(update, rejection(result))
        return
    if isinstance(result, str):  # the extension can't be had: why, on the toast and the question
        await answer(update, result)
        await settle_pressed(update, result)
        return
    if isinstance(result, Extended) and result.again:  # the answer it had, again: no change
        await answer(update, texts.PAUSE_EXTEND_USED)
        await settle_pressed(update, texts.pause_extended(result.until))
        return
    await answer(update)
    if isinstance(result, Started):
        started = texts.pause_started if result.partner_told else texts.pause_started_partner_paused
        text = started(result.partner_name, result.until)
        await edit_pressed(update, text, _breathe_button())
    elif isinstance(result, AlreadyPaused):
        await edit_pressed(update, texts.pause_already(result.until))
    else:
        await settle_pressed(update, texts.pause_extended(result.until))


async def resume(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        result = await pause_service.resume(session, person, rt.clock.now())
    if isinstance(result, Refusal):
        await send(update, rejection(result))
    elif not result:
        await send(update, texts.NOT_PAUSED)
    # Resumed: the "coming back together" prompt arrives through the outbox.


async def safeword(update: Update, context: Context) -> None:
    """/safeword shows it; /safeword <word> proposes one; /safeword off removes it."""
    rt = context.bot_data
    raw = command_text(update).strip()
    now = rt.clock.now()
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        partner = await partner_of(session, person)
        current = await agreements.agreed_value(session, person.couple_id, agreements.SAFEWORD)
        if partner is None:
            reply = texts.NOT_PAIRED
        elif not raw:
            reply = texts.safeword_current(current) if current else texts.SAFEWORD_NONE
        elif raw.casefold() == texts.OFF_WORD:
            removed = await agreements.withdraw(
                session,
                person,
                agreements.SAFEWORD,
                now,
                texts.safeword_removed_by(person.first_name),
            )
            reply = texts.SAFEWORD_OFF if removed is True else texts.SAFEWORD_NOTHING_TO_CLEAR
        else:
            word = pause_service.check_word(raw)
            if word is None:
                reply = texts.SAFEWORD_BAD
            else:
                proposed = await agreements.propose(
                    session, person, agreements.SAFEWORD, word, now, texts.safeword_request
                )
                reply = (
                    texts.SAFEWORD_SAME
                    if proposed is Refusal.DUPLICATE
                    else rejection(proposed)
                    if isinstance(proposed, Refusal)
                    else texts.safeword_proposed(proposed.partner_name, proposed.value)
                )
    await send(update, reply)
