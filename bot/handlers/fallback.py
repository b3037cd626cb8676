"""Everything no feature claimed gets a clear, kind answer — never silence, never a traceback."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden

from bot import texts
from bot.handlers.common import answer, send, unit_of_work
from bot.runtime import Context

log = logging.getLogger(__name__)


async def unknown_command(update: Update, context: Context) -> None:
    async with unit_of_work(context.bot_data, update, is_command=True):
        pass
    await send(update, texts.UNKNOWN_COMMAND)


async def not_text(update: Update, context: Context) -> None:
    """Stickers, photos, voice notes, contacts…"""
    await send(update, texts.TEXT_ONLY)


async def edited(update: Update, context: Context) -> None:
    await send(update, texts.EDITED_MESSAGE)


async def private_only(update: Update, context: Context) -> None:
    """In a group, answer only commands addressed to this bot (/start@ThisBot): other bots'
    commands and plain /commands are none of our business there."""
    message = update.effective_message
    first_word = (message.text or "").split(maxsplit=1)[0] if message and message.text else ""
    if first_word.lower().endswith(f"@{context.bot.username}".lower()):
        await send(update, texts.PRIVATE_ONLY)


async def stale_button(update: Update, context: Context) -> None:
    await answer(update, texts.BUTTON_STALE)


async def on_error(update: object, context: Context) -> None:
    """Log the failure (never message text), and tell the person rather than leave them waiting."""
    if isinstance(context.error, Forbidden):
        # They blocked the bot while it was answering (Telegram's my_chat_member update says so
        # separately, and pauses what was meant for them): nobody is left to tell.
        log.info("the person blocked the bot while it was answering")
        return
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    try:
        if update.callback_query is not None:
            await answer(update, texts.SOMETHING_WENT_WRONG)
        elif update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
            await send(update, texts.SOMETHING_WENT_WRONG)
    except Exception:
        log.warning("could not tell the person about the error", exc_info=True)
