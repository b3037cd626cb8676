"""/quiet HH:MM-HH:MM, /quiet off."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.handlers.common import command_text, send, unit_of_work
from bot.runtime import Context
from bot.services import quiet
from bot.services.quiet import QuietProblem, QuietSet

_PROBLEMS = {
    QuietProblem.USAGE: texts.QUIET_USAGE,
    QuietProblem.SAME: texts.QUIET_SAME,
    QuietProblem.NO_ZONE: texts.QUIET_NEEDS_ZONE,
}


async def quiet_hours(update: Update, context: Context) -> None:
    async with unit_of_work(context.bot_data, update, is_command=True) as (session, person):
        result = await quiet.set_quiet(session, person, command_text(update))
    if result is None:
        await send(update, texts.QUIET_OFF)
    elif isinstance(result, QuietSet):
        await send(update, texts.quiet_set(result.start, result.end))
    else:
        await send(update, _PROBLEMS[result])
