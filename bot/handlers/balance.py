"""/balance (propose, show, turn off) and the "Breathe with me first?" choice."""

from __future__ import annotations

from telegram import Update

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
    settle_stale,
    unit_of_work,
)
from bot.handlers.soothing import start_breathing
from bot.runtime import Context
from bot.services import agreements
from bot.services import balance as balance_service
from bot.services.common import Refusal
from bot.services.people import partner_of


def breathe_first(held_words: int) -> Reply:
    """Shown instead of the words, past the couple's balance: the words follow within a minute
    whatever is tapped."""
    return Reply(
        texts.BREATHE_FIRST,
        keyboards.inline(
            [
                [
                    (
                        texts.BREATHE_FIRST_BUTTON,
                        callbacks.pack(callbacks.BALANCE, "b", held_words),
                    ),
                    (texts.SKIP_BUTTON, callbacks.pack(callbacks.BALANCE, "s", held_words)),
                ]
            ]
        ),
    )


async def _propose(update: Update, context: Context, value: str) -> str:
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        proposed = await agreements.propose(
            session,
            person,
            agreements.BALANCE,
            value,
            rt.clock.now(),
            lambda name, v: texts.balance_request(name, balance_service.describe(v)),
        )
    if proposed is Refusal.DUPLICATE:
        return texts.BALANCE_SAME
    if isinstance(proposed, Refusal):
        return rejection(proposed)
    return texts.balance_proposed(proposed.partner_name, balance_service.describe(value))


async def balance(update: Update, context: Context) -> None:
    rt = context.bot_data
    raw = command_text(update).strip()
    if raw and raw.casefold() != texts.OFF_WORD:
        value = balance_service.parse(raw)
        await send(
            update, texts.BALANCE_BAD if value is None else await _propose(update, context, value)
        )
        return
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        partner = await partner_of(session, person)
        current = await agreements.agreed_value(session, person.couple_id, agreements.BALANCE)
        removed: bool | Refusal = False
        if partner is not None and raw:
            removed = await agreements.withdraw(
                session,
                person,
                agreements.BALANCE,
                rt.clock.now(),
                texts.balance_removed_by(person.first_name),
            )
    if partner is None:
        await send(update, texts.NOT_PAIRED)
    elif raw:
        await send(update, texts.BALANCE_OFF if removed is True else texts.BALANCE_NOTHING_TO_CLEAR)
    elif current is not None:
        await send(update, texts.balance_current(balance_service.describe(current)))
    else:
        button = (texts.PROPOSE_DEFAULT_BUTTON, callbacks.pack(callbacks.BALANCE, "d"))
        await send(update, Reply(texts.BALANCE_USAGE, keyboards.inline([[button]])))


async def balance_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    if pressed.action == "d":
        reply = await _propose(update, context, balance_service.default_value())
        await answer(update)
        await edit_pressed(update, reply)
        return
    held = pressed.refs[0]
    now = rt.clock.now()
    async with unit_of_work(rt, update) as (session, person):
        if pressed.action == "s":
            ok = await balance_service.release(session, person, held, now)
        else:
            ok = await balance_service.hold(session, person, held, now, rt.breathing.length)
        person_id = person.id
    if not ok:
        await answer(update, texts.BUTTON_STALE)
        await settle_stale(update)
        return
    await answer(update)
    await settle_pressed(update)
    if pressed.action == "b":
        await start_breathing(update, context, release=(person_id, held))
