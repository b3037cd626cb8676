"""/timezone, and the zone buttons (offered after pairing, for a bare /timezone, and as
suggestions after a typo)."""

from __future__ import annotations

from telegram import Update

from bot import keyboards, texts
from bot.callbacks import Callback
from bot.handlers.common import Reply, answer, command_text, edit_pressed, send, unit_of_work
from bot.runtime import Context
from bot.services import timezones
from bot.services.pairing import zone_buttons
from bot.services.schedule import ZoneChoice
from bot.services.timezones import ZoneSet


def _result(result: ZoneSet | ZoneChoice) -> Reply:
    if isinstance(result, ZoneSet):
        return Reply(texts.timezone_set(result.zone, texts.clock(result.local)))
    if result.fixed_offset:
        return Reply(texts.TIMEZONE_FIXED_OFFSET)
    suggestions = list(result.suggestions)
    return Reply(
        texts.timezone_suggest(suggestions),
        keyboards.inline(zone_buttons(suggestions)) if suggestions else None,
    )


async def timezone(update: Update, context: Context) -> None:
    rt = context.bot_data
    name = command_text(update).strip()
    if not name:
        async with unit_of_work(rt, update, is_command=True):
            pass
        await send(
            update, Reply(texts.TIMEZONE_ASK, keyboards.inline(zone_buttons(texts.COMMON_ZONES)))
        )
        return
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        result = await timezones.set_zone(session, person, name, rt.clock.now())
    if not (isinstance(result, ZoneSet) and result.queued):
        await send(update, _result(result))


async def zone_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        result = await timezones.set_zone(
            session, person, pressed.text or "", rt.clock.now(), in_place=True
        )
    if not isinstance(result, ZoneSet):
        await answer(update, texts.BUTTON_STALE)
        return
    await answer(update)
    await edit_pressed(update, _result(result).text)
