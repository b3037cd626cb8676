"""/insights: the weekly picture, drawn now and sent as a photo."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatAction

from bot import texts
from bot.handlers.common import send, unit_of_work
from bot.runtime import Context
from bot.services import insights


async def insights_command(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        picture = await insights.gather(session, person, rt.clock.now())
    chat = update.effective_chat
    assert chat is not None
    if picture is None:
        await send(update, texts.NOT_PAIRED)
        return
    await chat.send_action(ChatAction.UPLOAD_PHOTO)
    await chat.send_photo(
        await insights.render(picture), caption=texts.picture_caption(picture.summary)
    )
