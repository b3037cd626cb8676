"""The baseline for benchmark (b): python-telegram-bot's Bot.send_message in a loop, no rate
limiter, no database. `concurrency` 1 is a plain loop; more keeps that many calls in flight."""

from __future__ import annotations

import asyncio
import os
import sys

from telegram import Bot
from telegram.request import HTTPXRequest


async def main(ids_file: str, concurrency: int) -> None:
    with open(ids_file) as ids:
        chat_ids = [int(x) for x in ids.read().split()]
    request = HTTPXRequest(connection_pool_size=max(concurrency, 1) + 4)
    async with Bot(
        os.environ["TELEGRAM_BOT_TOKEN"],
        base_url=os.environ["TELEGRAM_API_BASE_URL"],
        request=request,
    ) as bot:
        print("ready", flush=True)
        slots = asyncio.Semaphore(concurrency)

        async def send(i: int, chat_id: int) -> None:
            async with slots:
                await bot.send_message(chat_id, f"Thinking of you ({i})")

        await asyncio.gather(*(send(i, c) for i, c in enumerate(chat_ids)))
    print("done", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
