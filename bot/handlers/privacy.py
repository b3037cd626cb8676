"""/export (everything stored about you: a page to read, then the JSON) and /delete (erase it, after a
confirmation)."""

from __future__ import annotations

from telegram import Update

from bot import callbacks, keyboards, texts
from bot.callbacks import Callback
from bot.handlers.common import Reply, answer, drop_buttons, send, settle_pressed, unit_of_work
from bot.runtime import Context
from bot.services import privacy


async def export(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        files = await privacy.export(session, person, rt.clock.now())
    chat = update.effective_chat
    assert chat is not None
    await chat.send_document(
        files.readable,
        filename=texts.EXPORT_READABLE_FILENAME,
        caption=texts.EXPORT_READABLE_CAPTION,
    )
    await chat.send_document(
        files.data, filename=texts.EXPORT_FILENAME, caption=texts.EXPORT_CAPTION
    )


async def delete(update: Update, context: Context) -> None:
    async with unit_of_work(context.bot_data, update, is_command=True) as (_session, person):
        person_id = person.id
    buttons = [
        [
            (texts.DELETE_YES_BUTTON, callbacks.pack(callbacks.DELETE, "y", person_id)),
            (texts.CANCEL_BUTTON, callbacks.pack(callbacks.DELETE, "n", person_id)),
        ]
    ]
    await send(update, Reply(texts.DELETE_CONFIRM, keyboards.inline(buttons)))


async def delete_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        mine = pressed.refs[0] == person.id
        if mine and pressed.action == "y":
            await privacy.delete(session, person, rt.clock.now())
    if not mine:
        await answer(update, texts.BUTTON_STALE)
        return
    await answer(update)
    if pressed.action == "n":
        await drop_buttons(update, texts.DELETE_CANCELLED)
        return
    await settle_pressed(update)
    await send(update, Reply(texts.DELETED, keyboards.no_keyboard()))
