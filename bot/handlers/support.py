"""/support: where to find professional help. Steady is not therapy and never diagnoses."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.handlers.common import send
from bot.runtime import Context


async def support(update: Update, context: Context) -> None:
    await send(update, texts.SUPPORT)
