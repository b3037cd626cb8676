"""✍️ Answer under the question for two, and the answer typed after it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import keyboards, texts
from bot.callbacks import Callback
from bot.db.models import Person
from bot.handlers.common import Reply, answer, rejection, send, unit_of_work
from bot.runtime import Context, Runtime
from bot.services import questions
from bot.services.common import Refusal
from bot.services.questions import Answered, Passed


async def answer_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        asked = await questions.start_answer(session, person, pressed.ref or 0, rt.clock.now())
    if isinstance(asked, Passed):
        await answer(update, texts.QUESTION_PASSED)
        return
    if isinstance(asked, Refusal):
        await answer(
            update,
            texts.QUESTION_ALREADY if asked is Refusal.ALREADY_ANSWERED else texts.BUTTON_STALE,
        )
        return
    await answer(update)
    cancel = keyboards.cancel_input(questions.AWAIT_ANSWER, asked.round_id)
    await send(update, Reply(texts.question_answer_prompt(asked.question), cancel))


async def typed_answer(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, ref: int | None, text: str
) -> Reply:
    result = await questions.answer(session, person, ref or 0, text, rt.clock.now())
    if isinstance(result, Answered):
        return Reply(result.revealed or texts.QUESTION_KEPT)
    if result is Refusal.ALREADY_ANSWERED:
        return Reply(texts.QUESTION_ALREADY)
    if result is Refusal.STALE:
        return Reply(texts.QUESTION_PASSED)
    return Reply(rejection(result, texts.EMPTY_MESSAGE))
