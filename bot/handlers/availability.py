"""/busy and /available."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.handlers.common import command_text, send, unit_of_work
from bot.runtime import Context
from bot.services import availability


async def busy(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (_session, person):
        result = availability.set_busy(person, command_text(update), rt.clock.now())
    if isinstance(result, str):
        await send(update, result)
    else:
        await send(update, texts.busy_set(result.until, result.reason))


async def available(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (_session, person):
        was = availability.clear_busy(person, rt.clock.now())
    await send(update, texts.AVAILABLE if was else texts.NOT_BUSY)
