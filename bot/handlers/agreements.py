"""Agree / Decline on a proposed safe word or balance setting."""

from __future__ import annotations

from telegram import Update

from bot import texts
from bot.callbacks import Callback
from bot.handlers.common import answer, edit_pressed, rejection, settle_stale, unit_of_work
from bot.runtime import Context
from bot.services import agreements, balance
from bot.services.common import Refusal


def told(kind: str, name: str, value: str, agreed: bool) -> str:
    """What the one who proposed hears."""
    if kind == agreements.SAFEWORD:
        return (
            texts.safeword_agreed_by(name, value)
            if agreed
            else texts.safeword_declined_by(name, value)
        )
    return (
        texts.balance_agreed_by(name, balance.describe(value))
        if agreed
        else texts.balance_declined_by(name)
    )


async def agreement_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    agree = pressed.action == "a"
    async with unit_of_work(rt, update) as (session, person):
        result = await agreements.answer(
            session, person, pressed.refs[0], agree, rt.clock.now(), told
        )
    if isinstance(result, Refusal):
        await answer(update, rejection(result))
        if result is Refusal.ALREADY_ANSWERED:
            await settle_stale(update)
        return
    await answer(update)
    if not result.agreed:
        await edit_pressed(update, texts.AGREEMENT_DECLINED)
    elif result.kind == agreements.SAFEWORD:
        await edit_pressed(update, texts.safeword_agreed(result.value))
    else:
        await edit_pressed(update, texts.balance_agreed(balance.describe(result.value)))
