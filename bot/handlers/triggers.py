"""/trigger, its questions and the I-statement's three choices; /triggers lists your own."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import keyboards, texts
from bot.callbacks import Callback
from bot.db.models import Person
from bot.handlers.common import (
    Reply,
    answer,
    command_text,
    edit_pressed,
    pages,
    rejection,
    send,
    settle_pressed,
    unit_of_work,
)
from bot.runtime import Context, Runtime
from bot.services import triggers
from bot.services.common import Refusal
from bot.services.triggers import Next


def _next_reply(result: Next) -> Reply:
    if result.typed:
        return Reply(result.text)
    return Reply(result.text, keyboards.inline(result.buttons))


async def trigger(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        logged = await triggers.log(session, person, command_text(update), rt.clock.now())
    if isinstance(logged, int):
        await send(update, _feeling_ask(logged))
    elif isinstance(logged, Next):
        await send(update, _next_reply(logged))
    else:
        await send(update, rejection(logged, texts.TRIGGER_USAGE))


def _feeling_ask(trigger_id: int) -> Reply:
    return Reply(texts.TRIGGER_FEELING_ASK, keyboards.inline(triggers.feeling_buttons(trigger_id)))


async def typed_what(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, _ref: int | None, text: str
) -> Reply:
    """What happened, again, as the end of "When you …"."""
    result = await triggers.typed_what(session, person, text, rt.clock.now())
    if isinstance(result, int):
        return _feeling_ask(result)
    return Reply(rejection(result, texts.TRIGGER_WHEN_YOU_AGAIN))


async def listing(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        items = await triggers.listing(session, person)
    if not items:
        await send(update, texts.TRIGGERS_NONE)
        return
    for page in pages(texts.triggers_list(items).split("\n")):
        await send(update, page)


async def trigger_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    now = rt.clock.now()
    async with unit_of_work(rt, update) as (session, person):
        if pressed.action in ("f", "n"):
            trigger_id, index = pressed.refs
            result: Next | triggers.Settled | Refusal = await triggers.choose(
                session, person, trigger_id, pressed.action, index, now
            )
        else:
            result = await triggers.settle(session, person, pressed.refs[0], pressed.action, now)
    if isinstance(result, Refusal):
        await answer(update, rejection(result))
        return
    await answer(update)
    if isinstance(result, triggers.Settled) or result.typed:
        await settle_pressed(update)
        await send(update, result.text)
    else:
        await edit_pressed(update, result.text, keyboards.inline(result.buttons))


async def typed_word(
    rt: Runtime, session: AsyncSession, person: Person, kind: str, ref: int | None, text: str
) -> Reply:
    """The feeling or need typed after "Something else"."""
    result = await triggers.typed(session, person, ref or 0, kind, text, rt.clock.now())
    if isinstance(result, Next):
        return _next_reply(result)
    return Reply(
        rejection(
            result,
            texts.TRIGGER_FEELING_TYPE
            if kind == triggers.AWAIT_FEELING
            else texts.TRIGGER_NEED_TYPE,
        )
    )
