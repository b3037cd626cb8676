"""The check-in's mood buttons, and the few words that may follow."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import callbacks, keyboards, texts
from bot.callbacks import Callback
from bot.db.models import Person
from bot.handlers.common import Reply, answer, edit_pressed, rejection, send, unit_of_work
from bot.runtime import Context, Runtime
from bot.services import checkins
from bot.services.checkins import Answered
from bot.services.common import Refusal


async def mood_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    if pressed.action == "n":
        async with unit_of_work(rt, update) as (session, person):
            partner = await checkins.start_note(session, person, pressed.ref or 0, rt.clock.now())
        if isinstance(partner, Refusal):
            await answer(
                update,
                texts.CHECKIN_ALREADY
                if partner is Refusal.ALREADY_ANSWERED
                else texts.BUTTON_STALE,
            )
            return
        await answer(update)
        cancel = keyboards.cancel_input(checkins.AWAIT_NOTE, pressed.ref)
        await send(update, Reply(texts.checkin_note_prompt(partner), cancel))
        return
    occurrence, mood = pressed.refs
    async with unit_of_work(rt, update) as (session, person):
        result = await checkins.answer(session, person, occurrence, mood, rt.clock.now())
    if not isinstance(result, Answered):
        await answer(
            update,
            texts.CHECKIN_ALREADY if result is Refusal.ALREADY_ANSWERED else texts.BUTTON_STALE,
        )
        return
    await answer(update)
    words = [[(texts.ADD_WORDS_BUTTON, callbacks.pack(callbacks.CHECKIN, "n", result.checkin_id))]]
    await edit_pressed(
        update, texts.checkin_answered(result.mood, result.partner_name), keyboards.inline(words)
    )


async def typed_note(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, ref: int | None, text: str
) -> Reply:
    result = await checkins.add_note(session, person, ref or 0, text, rt.clock.now())
    if isinstance(result, str):
        return Reply(texts.written_back(result))
    if result is Refusal.ALREADY_ANSWERED:
        return Reply(texts.CHECKIN_ALREADY)
    return Reply(rejection(result, texts.EMPTY_MESSAGE))
