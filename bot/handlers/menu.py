"""☰ More (and /menu), and /help: buttons for every practice, so nothing needs typing.

Each button does what its command does when typed bare — the breathing, the grounding, the
journal's newest page, the rituals and words menus — or, where the command needs words (/busy,
/away, /trigger), says how to give them. A press works only on the presser's own state: each
button runs the same handler the command runs, which finds the person behind the press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import InlineKeyboardMarkup, Update

from bot import callbacks, texts
from bot.callbacks import Callback
from bot.handlers import (
    availability,
    away,
    dates,
    insights,
    journal,
    phrases,
    rituals,
    soothing,
    triggers,
)
from bot.handlers.common import Reply, answer, send, unit_of_work
from bot.keyboards import inline
from bot.runtime import Context

Action = Callable[[Update, Context], Awaitable[None]]

# The handler behind each ☰ More button (actions as in texts.MENU_ROWS).
ACTIONS: dict[str, Action] = {
    "b": soothing.breathe,
    "g": soothing.ground,
    "u": availability.busy,  # no time given: how to say one
    "a": away.away,  # no date given: how to give one
    "t": triggers.trigger,  # no words given: how to log one
    "j": journal.journal_command,  # the newest page
    "r": rituals.menu,
    "d": dates.dates_command,
    "w": phrases.overview,
    "p": insights.insights_command,
}


def menu_markup(with_help: bool = True) -> InlineKeyboardMarkup | None:
    rows = [
        [(label, callbacks.pack(callbacks.MENU, action)) for action, label in row]
        for row in texts.MENU_ROWS
    ]
    if not with_help:
        help_data = callbacks.pack(callbacks.MENU, "h")
        rows = [[b for b in row if b[1] != help_data] for row in rows]
    return inline([row for row in rows if row])


async def menu(update: Update, context: Context) -> None:
    """☰ More and /menu."""
    async with unit_of_work(context.bot_data, update, is_command=True):
        pass
    await send(update, Reply(texts.MENU_TEXT, menu_markup()))


async def help_command(update: Update, context: Context) -> None:
    async with unit_of_work(context.bot_data, update, is_command=True):
        pass
    await _help(update)


async def _help(update: Update) -> None:
    await send(update, Reply(texts.help_text(), menu_markup(with_help=False)))


async def menu_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """The menu stays where it is, so another choice is one more tap."""
    await answer(update)
    if pressed.action == "h":
        await _help(update)
        return
    await ACTIONS[pressed.action](update, context)
