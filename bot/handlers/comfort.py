"""The partner's one-tap answers to a low check-in, and "I'm okay now" after soothing."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.callbacks import Callback
from bot.handlers.common import answer, send, settle_pressed, unit_of_work
from bot.handlers.replies import reply_prompt
from bot.runtime import Context
from bot.services import comfort
from bot.services.common import Refusal


async def comfort_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """💛 Send a hug / 📞 I'll call / ✍️ Write under a low check-in; 💛 I'm okay now."""
    rt = context.bot_data
    ref = pressed.ref or 0
    now = rt.clock.now()
    async with unit_of_work(rt, update) as (session, person):
        if pressed.action == "w":
            result = await comfort.start_writing(session, person, ref, now)
        elif pressed.action == "o":
            result = await comfort.okay_now(session, person, ref, now)
        else:
            result = await comfort.answer(session, person, ref, pressed.action, now)
    if result is Refusal.ALREADY_ANSWERED:
        already = texts.OKAY_ALREADY if pressed.action == "o" else texts.COMFORT_ALREADY
        await answer(update, already)
    elif isinstance(result, Refusal):
        await answer(update, texts.BUTTON_STALE)
    elif pressed.action == "w":
        await answer(update)
        await send(update, reply_prompt(result, ref))
    elif pressed.action == "o":
        await answer(update, texts.okay_told(result))
        await settle_pressed(update)  # said once: the offer reads as answered
    else:
        await answer(update, texts.reply_sent(result))
