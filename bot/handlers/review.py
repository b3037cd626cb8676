"""Keep / Change on the 4-weekly "Do these rituals still work for you both?"."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.callbacks import Callback
from bot.handlers import rituals as ritual_handlers
from bot.handlers.common import answer, edit_pressed, rejection, settle_pressed, unit_of_work
from bot.runtime import Context
from bot.services import review
from bot.services.common import Refusal


async def review_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    keep = pressed.action == "k"
    async with unit_of_work(rt, update) as (session, person):
        result = await review.answer(session, person, pressed.refs[0], keep, rt.clock.now())
    if isinstance(result, Refusal):
        await answer(update, rejection(result))
        return
    await answer(update)
    if keep:
        await edit_pressed(update, texts.REVIEW_KEPT)
    else:
        await settle_pressed(update)
        await ritual_handlers.menu(update, context)
