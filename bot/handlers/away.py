"""/away, /back, and "I'd like that" on a reconnect prompt."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.callbacks import Callback
from bot.handlers.common import (
    answer,
    command_text,
    rejection,
    send,
    settle_pressed,
    unit_of_work,
)
from bot.runtime import Context
from bot.services import away as away_service
from bot.services.common import Refusal


async def away(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        result = await away_service.set_away(session, person, command_text(update), rt.clock.now())
    if isinstance(result, Refusal):
        await send(update, rejection(result))
    elif isinstance(result, str):
        await send(update, result)
    else:
        await send(update, texts.away_set(result.day))


async def back(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        result = await away_service.back(session, person, rt.clock.now())
    if isinstance(result, Refusal):
        await send(update, rejection(result))
    elif not result:
        await send(update, texts.NOT_AWAY)
    # Back: the reconnect prompt comes to both through the outbox.


async def wish_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        result = await away_service.wish(session, person, pressed.refs[0], rt.clock.now())
    if result is Refusal.ALREADY_ANSWERED:
        await answer(update, texts.ALREADY_SENT)
        return
    if isinstance(result, Refusal):
        await answer(update, rejection(result))
        return
    await answer(update, texts.reconnect_sent(result))
    await settle_pressed(update)
