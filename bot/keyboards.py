"""Keyboards: the persistent reply keyboard for paired partners, and inline buttons built from
the plain `Buttons` rows that services and texts produce."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.services.people import awaiting_code


def paired_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[texts.REASSURE_BUTTON], [texts.MOMENT_BUTTON, texts.MENU_BUTTON]],
        resize_keyboard=True,
        is_persistent=True,
    )


def no_keyboard() -> ReplyKeyboardRemove:
    return ReplyKeyboardRemove()


def inline(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


def cancel_input(kind: str, ref: int | None) -> InlineKeyboardMarkup | None:
    """Under a "send your words as the next message" prompt; cancels only that prompt."""
    data = callbacks.pack(callbacks.INPUT, "x", awaiting_code(kind), ref or 0)
    return inline([[(texts.CANCEL_BUTTON, data)]])


def breathing_stop(run_id: int) -> InlineKeyboardMarkup | None:
    return inline([[(texts.STOP_BUTTON, callbacks.pack(callbacks.BREATHE, "x", run_id))]])


def steadier() -> InlineKeyboardMarkup | None:
    """ "A little steadier?" after breathing or grounding."""
    return inline(
        [
            [
                (texts.STEADIER_YES, callbacks.pack(callbacks.BREATHE, "y")),
                (texts.STEADIER_NOT_YET, callbacks.pack(callbacks.BREATHE, "n")),
            ]
        ]
    )
