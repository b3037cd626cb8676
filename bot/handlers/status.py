"""/status: both local times, quiet hours, active rituals."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.handlers.common import send, unit_of_work
from bot.runtime import Context
from bot.services import status as status_service
from bot.services.status import Clock


def _line(clock: Clock) -> str:
    line = texts.status_line(clock.name, clock.local, clock.zone, clock.quiet_until, clock.quiet)
    return "\n".join([line, *clock.states])


async def status(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        view = await status_service.status(session, person, rt.clock.now())
    lines = [_line(view.me)]
    if view.partner is None:
        lines.append(texts.NOT_PAIRED)
    else:
        lines.append(_line(view.partner))
        lines.append("")
        lines.append(texts.status_rituals(view.rituals))
    await send(update, "\n".join(lines))
