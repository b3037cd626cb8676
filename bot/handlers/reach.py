"""my_chat_member: Telegram tells us when a person blocks the bot (or stops it) and when they
come back. Their rituals wait meanwhile and their partner is told once, neutrally."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.runtime import Context
from bot.services import people, reach

GONE = {ChatMemberStatus.BANNED, ChatMemberStatus.LEFT}


async def membership(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != ChatType.PRIVATE:
        return
    rt = context.bot_data
    now = rt.clock.now()
    async with rt.db.transaction() as session:
        person = await people.find(session, change.from_user.id)
        if person is None:  # never talked to us: nothing to pause
            return
        if change.new_chat_member.status in GONE:
            await reach.unreachable(session, person, now)
        elif change.new_chat_member.status == ChatMemberStatus.MEMBER:
            await reach.reachable(session, person, now)
