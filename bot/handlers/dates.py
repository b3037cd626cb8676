"""/dates [add <what> <day> | remove <n> | list], and ✖ Remove under the list."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks, keyboards, texts
from bot.callbacks import Buttons, Callback
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
from bot.services import dates
from bot.services.common import Refusal
from bot.services.dates import Listing, Removed, Saved, Unchanged


def _listing(view: Listing) -> tuple[str, InlineKeyboardMarkup | None]:
    if not view.entries:
        return texts.DATES_EMPTY, None
    lines = [texts.date_line(e.number, e.title, e.day, e.next_day, e.days) for e in view.entries]
    rows: Buttons = [
        [
            (
                texts.numbered_button(texts.DATE_REMOVE_BUTTON, e.number),
                callbacks.pack(callbacks.DATES, "x", e.date_id),
            )
        ]
        for e in view.entries
    ]
    return texts.dates_list(lines, view.remind_at), keyboards.inline(rows)


def _refused(result: Refusal) -> str:
    return texts.DATES_FULL if result is Refusal.LIMIT else rejection(result)


def _saved(result: Saved | Unchanged | Refusal | str) -> str:
    if isinstance(result, str):
        return result
    if isinstance(result, Refusal):
        return _refused(result)
    if isinstance(result, Unchanged):
        return texts.DATE_UNCHANGED
    if result.old_day is None:
        return texts.date_added(result.title, result.day, result.partner, result.remind_at)
    return texts.date_changed(result.title, result.old_day, result.day, result.partner)


def _removed(result: Removed | Refusal | str) -> str:
    if isinstance(result, str):
        return result
    if isinstance(result, Refusal):
        return _refused(result)
    return texts.date_removed(result.title, result.day, result.partner)


async def dates_command(update: Update, context: Context) -> None:
    rt = context.bot_data
    words = command_text(update).split()
    action = texts.TYPED_DATE_ACTIONS.get(words[0].lower(), "") if words else "list"
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        now = rt.clock.now()
        reply: Reply | str
        if action == "add":
            reply = _saved(await dates.add(session, person, " ".join(words[1:]), now))
        elif action == "remove":
            number = int(words[1]) if len(words) == 2 and words[1].isdecimal() else None
            reply = (
                texts.DATE_REMOVE_USAGE
                if number is None
                else _removed(await dates.remove_number(session, person, number, now))
            )
        elif action == "list" and len(words) <= 1:
            view = await dates.listing(session, person, now)
            reply = rejection(view) if isinstance(view, Refusal) else Reply(*_listing(view))
        else:
            reply = texts.DATES_USAGE
    await send(update, reply)


async def dates_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """✖ Remove n: the date goes, both are told, and the list is redrawn."""
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        now = rt.clock.now()
        result = await dates.remove_pressed(session, person, pressed.refs[0], now)
        view = None if isinstance(result, Refusal) else await dates.listing(session, person, now)
    if isinstance(result, Refusal):
        await answer(update, rejection(result))
        return
    await answer(update, texts.date_removed(result.title, result.day, result.partner))
    if isinstance(view, Listing):
        await edit_pressed(update, *_listing(view))
