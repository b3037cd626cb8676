"""/support: where to find professional help. Steady is not therapy and never diagnoses."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot import texts
from bot.handlers.common import send


async def support(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send(update, texts.SUPPORT)
