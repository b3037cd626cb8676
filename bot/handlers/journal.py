"""/journal, /appreciate, a photo with a caption, and paging through the journal."""

from __future__ import annotations

from telegram import Update
from telegram.error import TelegramError

from bot import keyboards, texts
from bot.callbacks import Callback
from bot.handlers.common import (
    Reply,
    answer,
    command_text,
    edit_pressed,
    rejection,
    send,
    unit_of_work,
)
from bot.runtime import Context
from bot.services import journal
from bot.services.common import Refusal, Rejected
from bot.services.journal import Added, Page


def _page_reply(page: Page | Refusal) -> Reply:
    if isinstance(page, Refusal):
        return Reply(rejection(page))
    if not page.lines:
        return Reply(texts.JOURNAL_EMPTY)
    return Reply(
        texts.journal_page(page.lines, page.page, page.pages), keyboards.inline(page.buttons)
    )


def _added_reply(result: Added | Rejected, usage: str) -> str:
    if isinstance(result, Added):
        return texts.journal_added(result.partner_name)
    return rejection(result, usage)


async def journal_command(update: Update, context: Context) -> None:
    """/journal <words> adds a moment; /journal alone shows the newest page."""
    rt = context.bot_data
    words = command_text(update)
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        if words.strip():
            added = await journal.add(session, person, words, rt.clock.now())
            reply: Reply | str = _added_reply(added, texts.JOURNAL_EMPTY)
        else:
            reply = _page_reply(await journal.page(session, person, 1))
    await send(update, reply)


async def appreciate(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        added = await journal.add(
            session, person, command_text(update), rt.clock.now(), kind=journal.APPRECIATION
        )
    await send(update, _added_reply(added, texts.APPRECIATE_USAGE))


async def photo(update: Update, context: Context) -> None:
    """A photo with a caption is a journal moment (the largest size's file_id is kept)."""
    rt = context.bot_data
    message = update.effective_message
    assert message is not None and message.photo
    caption = message.caption or ""
    if not caption.strip():
        await send(update, texts.PHOTO_NEEDS_CAPTION)
        return
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        added = await journal.add(
            session, person, caption, rt.clock.now(), photo=message.photo[-1].file_id
        )
    await send(update, _added_reply(added, texts.PHOTO_NEEDS_CAPTION))


async def journal_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    couple_id, number = pressed.refs
    async with unit_of_work(rt, update) as (session, person):
        page = await journal.page_for_button(session, person, couple_id, number)
    if isinstance(page, Refusal):
        await answer(update, rejection(page))
        return
    await answer(update)
    if pressed.action == "pg":
        if page.lines:
            text = texts.journal_page(page.lines, page.page, page.pages)
            await edit_pressed(update, text, keyboards.inline(page.buttons))
        return
    chat = update.effective_chat
    assert chat is not None
    try:
        for file_id, caption in page.photos:
            await chat.send_photo(file_id, caption=caption)
    except TelegramError:  # e.g. a photo Telegram no longer has
        await send(update, texts.PHOTOS_UNAVAILABLE)
