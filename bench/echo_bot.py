"""The baseline for the relay-latency benchmark: a bare python-telegram-bot echo handler —
polling, updates handled concurrently, no database, no rate limiter."""

from __future__ import annotations

import os

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


def main() -> None:
    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(True)
        .connection_pool_size(64)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.post_init = _ready
    app.run_polling(poll_interval=0, timeout=10)


async def _ready(_app: object) -> None:
    print("ready", flush=True)


if __name__ == "__main__":
    main()
