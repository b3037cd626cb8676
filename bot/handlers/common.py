"""What every handler does: find the person, open one transaction, reply, answer buttons."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardMarkup,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from bot import texts
from bot.db.models import Person
from bot.runtime import Context, Runtime
from bot.services import limits, people, reach
from bot.services.common import Refusal, Rejected, TooLong
from bot.services.schedule import wall_time

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


@dataclass(frozen=True)
class Reply:
    text: str
    markup: Markup | None = None


@asynccontextmanager
async def unit_of_work(
    rt: Runtime, update: Update, *, is_command: bool = False
) -> AsyncIterator[tuple[AsyncSession, Person]]:
    """One transaction for one update, with the person behind it already loaded."""
    async with rt.db.transaction() as session:
        yield session, await arrive(rt, session, update, is_command=is_command)


async def arrive(
    rt: Runtime, session: AsyncSession, update: Update, *, is_command: bool = False
) -> Person:
    """The person behind an update, created on first contact and kept current."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    person = await people.touch(
        session,
        telegram_id=user.id,
        chat_id=chat.id,
        first_name=user.first_name,
        now=rt.clock.now(),
        is_command=is_command,
    )
    if person.unreachable_since is not None:  # they are here, so Telegram reaches them again
        await reach.reachable(session, person, rt.clock.now())
    return person


async def send(update: Update, reply: Reply | str) -> Message:
    """A direct answer in the chat the update came from."""
    if isinstance(reply, str):
        reply = Reply(reply)
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(reply.text, reply_markup=reply.markup)


async def answer(update: Update, text: str | None = None) -> None:
    """Answer a button press (Telegram shows a spinner until we do). A press answered too late
    is not worth an error."""
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.info("could not answer a button press: %s", exc.message)


async def edit_pressed(
    update: Update,
    text: str | None = None,
    markup: InlineKeyboardMarkup | None = None,
    *,
    whole: bool = False,
) -> None:
    """Rewrite the message whose button was pressed: new text and/or buttons. Without `markup`
    its buttons go, so a settled question can't be answered twice. A pause's bundle holds
    several messages' buttons: there only the pressed row goes (or becomes `markup`), and
    `text` is added beneath the bundle's words — unless the caller built the `whole` message
    from the one pressed."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    if not whole and isinstance(query.message, Message) and texts.is_bundle(query.message.text):
        text, markup = _within_bundle(query.message, query.data, text, markup)
    try:
        if text is not None and getattr(query.message, "caption", None) is not None:
            # a voice message's question (bot/services/voice.py): its caption is the text
            await query.edit_message_caption(text, reply_markup=markup)
        elif text is not None:
            await query.edit_message_text(text, reply_markup=markup)
        else:
            await query.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as exc:  # e.g. the message is too old to edit, or unchanged
        log.info("could not update a pressed message: %s", exc.message)
        if text is not None and "not modified" not in exc.message:
            # the words were refused (too long, say): the settled question still loses its
            # buttons, so it can't be answered twice
            with contextlib.suppress(BadRequest):
                await query.edit_message_reply_markup(reply_markup=markup)


def _within_bundle(
    bundle: Message, data: str | None, text: str | None, markup: InlineKeyboardMarkup | None
) -> tuple[str | None, InlineKeyboardMarkup | None]:
    rows = list(bundle.reply_markup.inline_keyboard) if bundle.reply_markup else []
    for at, row in enumerate(rows):
        pressed = next((b.text for b in row if b.callback_data == data), None)
        if pressed is not None:
            rows[at : at + 1] = list(markup.inline_keyboard) if markup else []
            number = texts.bundle_number(pressed)
            if text is not None and number is not None:  # which item the answer is for
                text = texts.bundle_item(number, text)
            break
    added = None if text is None else texts.settled(bundle.text or "", text)
    if added is not None and texts.utf16_len(added) > texts.MESSAGE_MAX_CHARS:
        added = None  # no room for the answer: the row still goes
    return added, InlineKeyboardMarkup(rows) if rows else None


async def settle_pressed(update: Update, outcome: str | None = None) -> None:
    """A pressed question loses its buttons and reads as answered: its words with the choice
    beneath ("✓ 💛 I'd like that"), or with `outcome` — what became of the press ("Okay, a
    little longer…") — so nothing is left dangling. A message without words of its own (a
    picture) only loses its buttons."""
    query = update.callback_query
    message = query.message if query is not None else None
    question = (message.text or message.caption) if isinstance(message, Message) else None
    if query is None or not isinstance(message, Message) or not question:
        await edit_pressed(update)
        return
    chosen = pressed_label(update)
    if outcome is not None:
        line = outcome
    elif chosen is not None:
        line = texts.chosen(chosen)
    else:
        await edit_pressed(update)
        return
    # a bundle adds the line beneath its own words (edit_pressed)
    await edit_pressed(update, line if texts.is_bundle(question) else texts.settled(question, line))


def pressed_label(update: Update) -> str | None:
    """The label of the button pressed, if the pressed message carries it (a forged press
    does not)."""
    query = update.callback_query
    message = query.message if query is not None else None
    if query is None or not isinstance(message, Message) or message.reply_markup is None:
        return None
    return next(
        (
            button.text
            for row in message.reply_markup.inline_keyboard
            for button in row
            if button.callback_data == query.data
        ),
        None,
    )


async def settle_stale(update: Update) -> None:
    """A press that could not count — the question was answered already (a double tap: Telegram
    sends the message as it was when tapped) or has run out: its buttons go, if it still has
    them, and its words stay — an answer shown a moment ago is never written over."""
    if pressed_label(update) is not None:
        await edit_pressed(update)


async def drop_buttons(update: Update, text: str | None = None) -> None:
    await edit_pressed(update, text)


def rejection(rejected: Rejected, usage: str = texts.NOT_PAIRED) -> str:
    """The kind sentence for a refusal. `usage` answers an empty input."""
    if isinstance(rejected, TooLong):
        return texts.too_long(rejected.length, rejected.limit)
    return {
        Refusal.NOT_PAIRED: texts.NOT_PAIRED,
        Refusal.EMPTY: usage,
        Refusal.LIMIT: texts.PHRASE_LIMIT,
        Refusal.PENDING_LIMIT: texts.PENDING_LIMIT,
        Refusal.DUPLICATE: texts.PHRASE_DUPLICATE,
        Refusal.STALE: texts.BUTTON_STALE,
        Refusal.ALREADY_ANSWERED: texts.PHRASE_ALREADY_ANSWERED,
    }[rejected]


def command_text(update: Update) -> str:
    """The text after the command word, exactly as typed (newlines and all). A button press
    (☰ More) types nothing: its message is the bot's, not a command."""
    if update.callback_query is not None:
        return ""
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def pages(lines: list[str], limit: int = texts.PAGE_LIMIT) -> list[str]:
    """Join lines into as few messages as fit Telegram's size limit."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        extra = texts.utf16_len(line) + 1
        if current and size + extra > limit:
            out.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += extra
    if current:
        out.append("\n".join(current))
    return out


async def relay_refusal(update: Update, context: Context) -> str | None:
    """The kind "not now" when the person has relayed their hour's share to their partner."""
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        partner = await people.partner_of(session, person)
        until = await limits.relay_blocked(session, person, rt.clock.now()) if partner else None
        zone = person.timezone
    if until is None or partner is None:
        return None
    return texts.relay_limited(partner.first_name, wall_time(until, zone))
