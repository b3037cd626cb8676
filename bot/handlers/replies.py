"""💛 and ✍️ Reply under the partner's words, and "Send this to Sam?" for free text typed soon
after them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import keyboards, texts
from bot.callbacks import Callback
from bot.db.models import Person
from bot.handlers.common import Reply, answer, edit_pressed, rejection, send, unit_of_work
from bot.runtime import Context, Runtime
from bot.services import replies
from bot.services.common import Refusal, TooLong
from bot.services.schedule import wall_time


async def warmth_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    ref = pressed.ref or 0
    now = rt.clock.now()
    async with unit_of_work(rt, update) as (session, person):
        if pressed.action == "h":
            result: str | Refusal | replies.Settled = await replies.tap_back(
                session, person, ref, now
            )
        elif pressed.action == "r":
            result = await replies.start_reply(session, person, ref, now, replies.WARM_KINDS)
        else:
            result = await replies.settle_draft(session, person, ref, pressed.action == "s", now)
    if result is Refusal.ALREADY_ANSWERED:
        await answer(update, texts.TAPBACK_ALREADY)
    elif isinstance(result, Refusal):
        await answer(update, texts.BUTTON_STALE)
    elif isinstance(result, replies.Settled):
        await answer(update)
        await edit_pressed(
            update, texts.written_back(result.partner_name) if result.sent else texts.DRAFT_KEPT
        )
    elif pressed.action == "h":
        await answer(update, texts.reply_sent(result))
    else:
        await answer(update)
        await send(update, reply_prompt(result, ref))


def reply_prompt(partner: str, ref: int) -> Reply:
    """ "The next text you send goes to Sam", with a Cancel for this prompt only."""
    cancel = keyboards.cancel_input(replies.AWAIT_REPLY, ref)
    return Reply(texts.write_back_prompt(partner), cancel)


async def typed_reply(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, ref: int | None, text: str
) -> Reply:
    result = await replies.send_reply(session, person, ref or 0, text, rt.clock.now())
    if isinstance(result, str):
        return Reply(texts.written_back(result))
    return Reply(rejection(result, texts.EMPTY_MESSAGE))


async def free_text(rt: Runtime, session: AsyncSession, person: Person, text: str) -> Reply | None:
    """Text with nothing armed: "Send this to Sam?" if it follows the partner's words; None if
    it does not (the caller explains what Steady does)."""
    drafted = await replies.draft(session, person, text, rt.clock.now())
    if drafted is None:
        return None
    if isinstance(drafted, TooLong):
        return Reply(rejection(drafted))
    if isinstance(drafted, replies.Blocked):
        until = wall_time(drafted.until, person.timezone)
        return Reply(texts.relay_limited(drafted.partner_name, until))
    buttons = replies.draft_buttons(drafted.draft_id, drafted.partner_name)
    return Reply(texts.send_this(drafted.partner_name), keyboards.inline(buttons))
