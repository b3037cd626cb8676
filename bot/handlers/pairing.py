"""/start, /pair, /join, /unpair and the unpair confirmation buttons."""

from __future__ import annotations

from telegram import Update
from telegram.helpers import create_deep_linked_url

from bot import callbacks, keyboards, texts
from bot.callbacks import Callback
from bot.handlers.common import (
    Reply,
    answer,
    command_text,
    drop_buttons,
    send,
    settle_pressed,
    unit_of_work,
)
from bot.runtime import Context
from bot.services import pairing, people
from bot.services.common import Refusal
from bot.services.pairing import AlreadyPaired, Redeem
from bot.services.schedule import wall_time


async def start(update: Update, context: Context) -> None:
    """`/start` welcomes; `/start <token>` is what opening an invite link sends."""
    if context.args:
        await _redeem(update, context, context.args[0])
        return
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        partner = await people.partner_of(session, person)
    if partner is None:
        await send(update, texts.WELCOME)
    else:
        await send(
            update, Reply(texts.welcome_back(partner.first_name), keyboards.paired_keyboard())
        )


async def pair(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        made = await pairing.create_invite(session, person, rt.clock.now())
    if isinstance(made, AlreadyPaired):
        await send(update, texts.already_paired(made.partner_name))
        return
    link = create_deep_linked_url(rt.bot_username, made.token)
    await send(update, texts.invite(link, made.token))


async def join(update: Update, context: Context) -> None:
    token = command_text(update).strip()
    if not token:
        async with unit_of_work(context.bot_data, update, is_command=True):
            pass
        await send(update, texts.JOIN_USAGE)
        return
    await _redeem(update, context, token)


_REDEEM_REFUSALS = {
    Redeem.MALFORMED: texts.INVITE_MALFORMED,
    Redeem.UNKNOWN: texts.INVITE_UNKNOWN,
    Redeem.OWN: texts.INVITE_OWN,
    Redeem.EXPIRED: texts.INVITE_EXPIRED,
    Redeem.USED: texts.INVITE_USED,
    Redeem.REPLACED: texts.INVITE_REPLACED,
}


async def _redeem(update: Update, context: Context, token: str) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        result = await pairing.redeem(session, person, token, rt.clock.now())
    if result.outcome is Redeem.PAIRED:
        return  # both confirmations are on their way through the outbox
    if result.outcome is Redeem.YOU_ARE_PAIRED:
        await send(update, texts.already_paired(result.other_name))
    elif result.outcome is Redeem.INVITER_PAIRED:
        await send(update, texts.inviter_taken(result.other_name))
    elif result.outcome is Redeem.LIMITED and result.until is not None:
        await send(update, texts.join_limited(wall_time(result.until, person.timezone)))
    else:
        await send(update, _REDEEM_REFUSALS[result.outcome])


async def unpair(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        prompt = await pairing.unpair_prompt(session, person)
    if isinstance(prompt, Refusal):
        await send(update, texts.NOT_PAIRED)
        return
    buttons = [
        [
            (texts.UNPAIR_YES_BUTTON, callbacks.pack(callbacks.UNPAIR, "y", prompt.couple_id)),
            (texts.CANCEL_BUTTON, callbacks.pack(callbacks.UNPAIR, "n", prompt.couple_id)),
        ]
    ]
    await send(update, Reply(texts.unpair_confirm(prompt.partner_name), keyboards.inline(buttons)))


async def unpair_pressed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    if pressed.action == "n":
        await answer(update)
        await drop_buttons(update, texts.UNPAIR_CANCELLED)
        return
    if pressed.action != "y" or pressed.ref is None:
        await answer(update, texts.BUTTON_STALE)
        return
    async with unit_of_work(rt, update) as (session, person):
        refused = await pairing.unpair(session, person, pressed.ref, rt.clock.now())
    if refused is not None:
        await answer(update, texts.BUTTON_STALE)
        return
    await answer(update)
    await settle_pressed(update)
    await send(update, Reply(texts.UNPAIRED, keyboards.no_keyboard()))
