"""💛 Reassure me (and /reassure), and the partner's one-tap follow-ups."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import ContextTypes

from bot import keyboards, texts
from bot.callbacks import Callback
from bot.db.models import Person
from bot.handlers.common import Reply, answer, edit_pressed, rejection, send, unit_of_work
from bot.runtime import Runtime, runtime
from bot.services import reassurance
from bot.services.common import Refusal
from bot.services.reassurance import Asked, Replied


async def reassure(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        result = await reassurance.request(session, person, rt.clock.now(), rt.rng)
    if isinstance(result, Refusal):
        await send(update, Reply(texts.NOT_PAIRED, keyboards.no_keyboard()))
    elif isinstance(result, Asked) and result.words is not None:
        await send(update, texts.reassurance_words(result.partner_name, result.words))
    else:
        await send(update, texts.reassurance_no_words(result.partner_name))


async def reply_pressed(
    update: Update, context: ContextTypes.DEFAULT_TYPE, pressed: Callback
) -> None:
    """💛 I'm here / 📞 I'll call soon / 🕐 Let's talk tonight / ✍️ Write back."""
    rt = runtime(context)
    if pressed.ref is None:
        await answer(update, texts.BUTTON_STALE)
        return
    now = rt.clock.now()
    async with unit_of_work(rt, update) as (session, person):
        if pressed.action == "w":
            result: Replied | str | Refusal = await reassurance.start_write_back(
                session, person, pressed.ref, now
            )
        else:
            result = await reassurance.quick_reply(
                session, person, pressed.ref, pressed.action, now
            )
    if isinstance(result, Refusal):
        await answer(update, rejection(result))
    elif isinstance(result, str):
        await answer(update)
        await send(update, Reply(texts.write_back_prompt(result), keyboards.cancel_input()))
    else:
        await answer(update, texts.reply_sent(result.requester_name))
        if result.sent:
            await _note_reply(update, result.label)


async def _note_reply(update: Update, label: str) -> None:
    """Add "✓ You replied: …" under the request, keeping the buttons for a further reply."""
    query = update.callback_query
    message = query.message if query else None
    text = getattr(message, "text", None)
    if not text:
        return
    markup = getattr(message, "reply_markup", None)
    await edit_pressed(update, f"{text}\n{texts.reply_noted(label)}", markup)


async def typed_write_back(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, ref: int | None, text: str
) -> Reply:
    result = await reassurance.write_back(session, person, ref or 0, text, rt.clock.now())
    if isinstance(result, str):
        return Reply(texts.written_back(result))
    return Reply(rejection(result, texts.EMPTY_MESSAGE))
