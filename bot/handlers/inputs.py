"""Plain text: either the typed reply a person was asked for ("the next text you send"), or a
friendly pointer to what Steady does. Also /cancel and the Cancel button under a prompt."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import keyboards, texts
from bot.callbacks import Callback
from bot.db.models import Person
from bot.handlers import checkins as checkin_handlers
from bot.handlers import nudges as nudge_handlers
from bot.handlers import pause as pause_handlers
from bot.handlers import phrases as phrase_handlers
from bot.handlers import questions as question_handlers
from bot.handlers import reassurance as reassurance_handlers
from bot.handlers import replies as reply_handlers
from bot.handlers import rituals as ritual_handlers
from bot.handlers import triggers as trigger_handlers
from bot.handlers.common import Reply, answer, edit_pressed, send, unit_of_work
from bot.runtime import Context, Runtime
from bot.services import (
    checkins,
    limits,
    nudges,
    pause,
    people,
    phrases,
    questions,
    reassurance,
    replies,
    rituals,
    triggers,
)
from bot.services.schedule import wall_time

TypedHandler = Callable[[Runtime, AsyncSession, Person, str, int | None, str], Awaitable[Reply]]

TYPED: dict[str, TypedHandler] = {
    phrases.AWAIT_REWORD: phrase_handlers.typed_reword,
    phrases.AWAIT_PROPOSE: phrase_handlers.typed_new,
    phrases.AWAIT_OFFER: phrase_handlers.typed_new,
    reassurance.AWAIT_WRITE_BACK: reassurance_handlers.typed_write_back,
    nudges.AWAIT_NUDGE: nudge_handlers.typed_note,
    nudges.AWAIT_LETTER: nudge_handlers.typed_letter,
    checkins.AWAIT_NOTE: checkin_handlers.typed_note,
    triggers.AWAIT_WHAT: trigger_handlers.typed_what,
    triggers.AWAIT_FEELING: trigger_handlers.typed_word,
    triggers.AWAIT_NEED: trigger_handlers.typed_word,
    questions.AWAIT_ANSWER: question_handlers.typed_answer,
    replies.AWAIT_REPLY: reply_handlers.typed_reply,
    rituals.AWAIT_STARTER_TIME: ritual_handlers.typed_starter_time,
}


# Typed replies that go to the partner, and so count against the relay limit.
RELAYING_INPUTS = {
    phrases.AWAIT_REWORD,
    phrases.AWAIT_PROPOSE,
    phrases.AWAIT_OFFER,
    reassurance.AWAIT_WRITE_BACK,
    nudges.AWAIT_NUDGE,
    nudges.AWAIT_LETTER,
    checkins.AWAIT_NOTE,
    questions.AWAIT_ANSWER,
    replies.AWAIT_REPLY,
}


async def on_text(update: Update, context: Context) -> None:
    rt = context.bot_data
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    async with unit_of_work(rt, update) as (session, person):
        # The agreed safe word, sent alone, comes before anything else — even a reply we were
        # waiting for (which stays armed).
        safe_word = await pause.is_safe_word(session, person, text)
    if safe_word:
        await pause_handlers.moment(update, context)
        return
    now = rt.clock.now()
    async with unit_of_work(rt, update) as (session, person):
        awaited = people.take_awaiting(person, now)
        handler = TYPED.get(awaited.kind) if awaited else None
        partner = await people.partner_of(session, person)
        until = (
            await limits.relay_blocked(session, person, now)
            if awaited is not None and awaited.kind in RELAYING_INPUTS and partner is not None
            else None
        )
        if awaited is not None and until is not None and partner is not None:
            # Not now; the prompt stays armed for when the hour lifts.
            people.await_reply(person, awaited.kind, awaited.ref, now)
            reply = Reply(
                texts.relay_limited(partner.first_name, wall_time(until, person.timezone))
            )
        elif awaited is not None and handler is not None:
            reply = await handler(rt, session, person, awaited.kind, awaited.ref, text)
        elif partner is not None:
            offered = await reply_handlers.free_text(rt, session, person, text)
            reply = offered or Reply(
                texts.idle_text_paired(partner.first_name), keyboards.paired_keyboard()
            )
        else:
            reply = Reply(texts.IDLE_TEXT_UNPAIRED)
    await send(update, reply)


async def cancel(update: Update, context: Context) -> None:
    async with unit_of_work(context.bot_data, update) as (_session, person):
        had = people.clear_awaiting(person)
    await send(update, texts.INPUT_CANCELLED if had else texts.NOTHING_TO_CANCEL)


async def cancel_pressed(update: Update, context: Context, pressed: Callback) -> None:
    kind = people.awaiting_kind(pressed.refs[0])
    async with unit_of_work(context.bot_data, update) as (_session, person):
        cancelled = people.cancel_awaiting(person, kind, pressed.refs[1])
    await answer(update)
    await edit_pressed(update, texts.INPUT_CANCELLED if cancelled else texts.NOTHING_TO_CANCEL)
