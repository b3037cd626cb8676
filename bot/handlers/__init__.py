"""Telegram updates → feature handlers. Handlers are thin: find the person, call one service,
render its result."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import callbacks, texts
from bot.callbacks import Callback
from bot.handlers import fallback, inputs, pairing, phrases, reassurance

ButtonHandler = Callable[[Update, ContextTypes.DEFAULT_TYPE, Callback], Awaitable[None]]

COMMANDS: dict[str, Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]] = {
    "start": pairing.start,
    "help": pairing.help_command,
    "pair": pairing.pair,
    "join": pairing.join,
    "unpair": pairing.unpair,
    "phrase": phrases.phrase,
    "offer": phrases.offer,
    "phrases": phrases.overview,
    "reassure": reassurance.reassure,
    "cancel": inputs.cancel,
}

BUTTONS: dict[str, ButtonHandler] = {
    callbacks.PHRASE_ANSWER: phrases.proposal_pressed,
    callbacks.OFFER_ANSWER: phrases.offer_pressed,
    callbacks.PHRASE_REMOVE: phrases.remove_pressed,
    callbacks.PHRASES_MENU: phrases.menu_pressed,
    callbacks.REPLY: reassurance.reply_pressed,
    callbacks.UNPAIR: pairing.unpair_pressed,
    callbacks.INPUT: inputs.cancel_pressed,
}


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every press lands here first; unknown or forged data gets a short notice."""
    query = update.callback_query
    pressed = callbacks.unpack(query.data if query else None)
    handler = BUTTONS.get(pressed.kind) if pressed else None
    if pressed is None or handler is None:
        await fallback.stale_button(update, context)
        return
    await handler(update, context, pressed)


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    new_private = private & filters.UpdateType.MESSAGE  # edits are handled separately
    for name, callback in COMMANDS.items():
        app.add_handler(CommandHandler(name, callback, filters=new_private))
    reassure_button = filters.Regex(f"^{re.escape(texts.REASSURE_BUTTON)}$")
    app.add_handler(MessageHandler(new_private & reassure_button, reassurance.reassure))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(MessageHandler(new_private & filters.TEXT & ~filters.COMMAND, inputs.on_text))
    app.add_handler(MessageHandler(new_private & filters.COMMAND, fallback.unknown_command))
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, fallback.edited))
    app.add_handler(MessageHandler(new_private, fallback.not_text))
    app.add_handler(MessageHandler(~private & filters.COMMAND, fallback.private_only))
    app.add_error_handler(fallback.on_error)
