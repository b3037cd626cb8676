"""Telegram updates → feature handlers. Handlers are thin: find the person, call one service,
render its result."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlalchemy.exc import DBAPIError
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callbacks, texts
from bot.callbacks import Callback
from bot.handlers import (
    agreements,
    availability,
    away,
    balance,
    checkins,
    comfort,
    dates,
    fallback,
    inputs,
    insights,
    journal,
    menu,
    nudges,
    pairing,
    pause,
    phrases,
    privacy,
    questions,
    quiet,
    reach,
    reassurance,
    replies,
    review,
    rituals,
    soothing,
    status,
    support,
    timezones,
    triggers,
    voice,
)
from bot.handlers.common import answer, command_text, relay_refusal, send
from bot.runtime import Context

log = logging.getLogger(__name__)

UpdateHandler = Callable[[Update, Context], Coroutine[Any, Any, None]]
ButtonHandler = Callable[[Update, Context, Callback], Awaitable[None]]

COMMANDS: dict[str, UpdateHandler] = {
    "start": pairing.start,
    "help": menu.help_command,
    "menu": menu.menu,
    "pair": pairing.pair,
    "join": pairing.join,
    "unpair": pairing.unpair,
    "phrase": phrases.phrase,
    "offer": phrases.offer,
    "phrases": phrases.overview,
    "reassure": reassurance.reassure,
    "rituals": rituals.menu,
    "ritual": rituals.ritual_command,
    "timezone": timezones.timezone,
    "quiet": quiet.quiet_hours,
    "status": status.status,
    "notes": nudges.notes,
    "note": nudges.note,
    "pause": pause.pause,
    "resume": pause.resume,
    "safeword": pause.safeword,
    "breathe": soothing.breathe,
    "ground": soothing.ground,
    "busy": availability.busy,
    "available": availability.available,
    "journal": journal.journal_command,
    "appreciate": journal.appreciate,
    "trigger": triggers.trigger,
    "triggers": triggers.listing,
    "away": away.away,
    "back": away.back,
    "dates": dates.dates_command,
    "balance": balance.balance,
    "insights": insights.insights_command,
    "support": support.support,
    "export": privacy.export,
    "delete": privacy.delete,
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
    callbacks.ZONE: timezones.zone_pressed,
    callbacks.RITUAL_NOTICE: rituals.notice_pressed,
    callbacks.RITUAL_MENU: rituals.menu_pressed,
    callbacks.RITUAL_ADD: rituals.add_pressed,
    callbacks.STARTER: rituals.starter_pressed,
    callbacks.DATE: rituals.date_pressed,
    callbacks.NUDGE: nudges.prompt_pressed,
    callbacks.QUICK_NOTE: nudges.note_removed,
    callbacks.CHECKIN: checkins.mood_pressed,
    callbacks.AGREEMENT: agreements.agreement_pressed,
    callbacks.PAUSE: pause.pause_pressed,
    callbacks.BREATHE: soothing.breathe_pressed,
    callbacks.GROUND: soothing.ground_pressed,
    callbacks.BALANCE: balance.balance_pressed,
    callbacks.JOURNAL: journal.journal_pressed,
    callbacks.TRIGGER: triggers.trigger_pressed,
    callbacks.AWAY: away.wish_pressed,
    callbacks.REVIEW: review.review_pressed,
    callbacks.DELETE: privacy.delete_pressed,
    callbacks.QUESTION: questions.answer_pressed,
    callbacks.WARMTH: replies.warmth_pressed,
    callbacks.COMFORT: comfort.comfort_pressed,
    callbacks.DATES: dates.dates_pressed,
    callbacks.MENU: menu.menu_pressed,
}


# What sends something to the partner on the person's behalf, and so counts against the relay
# limit (bot/services/limits.py): commands with an argument, and these buttons.
RELAYING_COMMANDS = {
    "phrase",
    "offer",
    "note",
    "journal",
    "appreciate",
    "safeword",
    "balance",
    "away",
    "dates",
}
RELAYING_BUTTONS = {
    callbacks.PHRASE_ANSWER,
    callbacks.OFFER_ANSWER,
    callbacks.PHRASES_MENU,
    callbacks.REPLY,
    callbacks.NUDGE,
    callbacks.CHECKIN,
    callbacks.DATE,
    callbacks.AGREEMENT,
    callbacks.TRIGGER,
    callbacks.AWAY,
    callbacks.REVIEW,
    callbacks.BALANCE,
    callbacks.WARMTH,
    callbacks.COMFORT,
    callbacks.DATES,
}


def _relays(update: Update) -> bool:
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return False  # a press in a group is refused by on_button, before anything is touched
    query = update.callback_query
    if query is not None:
        pressed = callbacks.unpack(query.data)
        return pressed is not None and pressed.kind in RELAYING_BUTTONS
    message = update.effective_message
    if message is not None and (message.photo or message.voice or message.video_note):
        return True
    return bool(command_text(update).strip())  # "/journal" alone only reads


def relay_limited(callback: UpdateHandler) -> UpdateHandler:
    """Past the hour's share of relayed messages, say so kindly and do nothing."""

    @functools.wraps(callback)
    async def wrapped(update: Update, context: Context) -> None:
        refusal = await relay_refusal(update, context) if _relays(update) else None
        if refusal is None:
            await callback(update, context)
        elif update.callback_query is not None:
            await answer(update, refusal)
        else:
            await send(update, refusal)

    return wrapped


async def on_button(update: Update, context: Context) -> None:
    """Every press lands here first; unknown or forged data gets a short notice."""
    query = update.callback_query
    pressed = callbacks.unpack(query.data if query else None)
    handler = BUTTONS.get(pressed.kind) if pressed else None
    private = update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE
    if pressed is None or handler is None or not private:
        await fallback.stale_button(update, context)
        return
    await handler(update, context, pressed)


CONFLICT_RETRIES = 3
# PostgreSQL's deadlock and serialization failures: the transaction was rolled back whole.
_RETRYABLE_SQLSTATES = {"40P01", "40001"}


def _conflict(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in _RETRYABLE_SQLSTATES or "database is locked" in str(exc.orig)


def retry_on_conflict(callback: UpdateHandler) -> UpdateHandler:
    """Handlers do their database work in one transaction before they send anything, so a
    transaction the database aborted (deadlock, serialization) can simply be run again."""

    @functools.wraps(callback)
    async def wrapped(update: Update, context: Context) -> None:
        for attempt in range(CONFLICT_RETRIES + 1):
            try:
                await callback(update, context)
                return
            except DBAPIError as exc:
                if attempt == CONFLICT_RETRIES or not _conflict(exc):
                    raise
                log.info("database conflict; running the handler again (%s)", attempt + 1)
                await asyncio.sleep(0.05 * (attempt + 1))

    return wrapped


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    private = filters.ChatType.PRIVATE
    new_private = private & filters.UpdateType.MESSAGE  # edits are handled separately
    guarded = retry_on_conflict
    for name, callback in COMMANDS.items():
        handler = relay_limited(callback) if name in RELAYING_COMMANDS else callback
        app.add_handler(CommandHandler(name, guarded(handler), filters=new_private))
    reassure_button = filters.Regex(f"^{re.escape(texts.REASSURE_BUTTON)}$")
    app.add_handler(MessageHandler(new_private & reassure_button, guarded(reassurance.reassure)))
    moment_button = filters.Regex(f"^{re.escape(texts.MOMENT_BUTTON)}$")
    app.add_handler(MessageHandler(new_private & moment_button, guarded(pause.moment)))
    menu_button = filters.Regex(f"^{re.escape(texts.MENU_BUTTON)}$")
    app.add_handler(MessageHandler(new_private & menu_button, guarded(menu.menu)))
    photo = relay_limited(journal.photo)
    app.add_handler(MessageHandler(new_private & filters.PHOTO, guarded(photo)))
    recorded = relay_limited(voice.recording)
    recording = new_private & (filters.VOICE | filters.VIDEO_NOTE)
    app.add_handler(MessageHandler(recording, guarded(recorded)))
    app.add_handler(CallbackQueryHandler(guarded(relay_limited(on_button))))
    app.add_handler(ChatMemberHandler(guarded(reach.membership), ChatMemberHandler.MY_CHAT_MEMBER))
    text = new_private & filters.TEXT & ~filters.COMMAND
    app.add_handler(MessageHandler(text, guarded(inputs.on_text)))
    app.add_handler(
        MessageHandler(new_private & filters.COMMAND, guarded(fallback.unknown_command))
    )
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, fallback.edited))
    app.add_handler(MessageHandler(new_private, fallback.not_text))
    app.add_handler(MessageHandler(~private & filters.COMMAND, fallback.private_only))
    app.add_error_handler(fallback.on_error)
