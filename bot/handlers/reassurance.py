"""💛 Reassure me (and /reassure), and the partner's one-tap follow-ups."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import keyboards, texts
from bot.callbacks import Callback
from bot.db.models import Person
from bot.handlers.balance import breathe_first
from bot.handlers.common import Reply, answer, edit_pressed, rejection, send, unit_of_work
from bot.runtime import Context, Runtime
from bot.services import reassurance
from bot.services.common import Refusal
from bot.services.reassurance import Replied


async def reassure(update: Update, context: Context) -> None:
    """The words (or a gentle note that there are none yet) are committed to the outbox with the
    partner's notice, then sent from here at once, first in line."""
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        result = await reassurance.request(session, person, rt.clock.now(), rt.rng)
        chat_id = person.chat_id
    if isinstance(result, Refusal):
        await send(update, Reply(texts.NOT_PAIRED, keyboards.no_keyboard()))
    elif result.held:
        await send(update, breathe_first(result.words_row))
    else:
        await rt.dispatcher.send_now(result.words_row, chat_id)


async def reply_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """💛 I'm here / 📞 I'll call soon / 🕐 Let's talk tonight / ✍️ Write back."""
    rt = context.bot_data
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
        cancel = keyboards.cancel_input(reassurance.AWAIT_WRITE_BACK, pressed.ref)
        await send(update, Reply(texts.write_back_prompt(result), cancel))
    else:
        if not result.sent:  # a second tap: it went the first time
            await answer(update, texts.ALREADY_SENT)
            return
        await answer(update, texts.reply_sent(result.requester_name))
        await _note_replies(update, result.replied)


async def _note_replies(update: Update, replied: list[str]) -> None:
    """Show "✓ You replied: …" under the request — every reply so far, from the database (the
    message as Telegram last sent it may predate a reply tapped a moment ago)."""
    query = update.callback_query
    message = query.message if query else None
    text = getattr(message, "text", None)
    if not text:
        return
    # Only the replied line changes: what a bundle added beneath it (other answers) stays.
    before, mark, after = text.partition(texts.REPLIED_MARK)
    beneath = after.partition("\n")[2] if mark else ""
    noted = before + texts.reply_noted(replied) + (f"\n{beneath}" if beneath else "")
    markup = getattr(message, "reply_markup", None)
    await edit_pressed(update, noted, markup, whole=True)


async def typed_write_back(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, ref: int | None, text: str
) -> Reply:
    result = await reassurance.write_back(session, person, ref or 0, text, rt.clock.now())
    if isinstance(result, str):
        return Reply(texts.written_back(result))
    return Reply(rejection(result, texts.EMPTY_MESSAGE))
