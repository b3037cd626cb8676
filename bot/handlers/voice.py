"""A voice message or a video note: words the giver offers (after /offer, or Offer words in
/phrases), an answer to words the partner asked for (after ✏️ Edit), or a note on a nudge
prompt (✍️ Write one) or a note written ahead (/note). Anything else recorded gets a short pointer to where it can go."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import texts
from bot.db.models import Person
from bot.handlers import nudges as nudge_handlers
from bot.handlers.common import Reply, rejection, send, unit_of_work
from bot.runtime import Context
from bot.services import nudges, people, phrases
from bot.services.common import Refusal
from bot.services.nudges import Sent
from bot.services.phrases import Words
from bot.services.voice import EmptyRecording, Recording, TooLongRecording, check


def _seconds(duration: timedelta | int) -> int:
    """PTB gives a duration as a timedelta or as whole seconds, depending on its settings."""
    if isinstance(duration, timedelta):
        return round(duration.total_seconds())
    return int(duration)


def _recording(update: Update) -> Recording:
    message = update.effective_message
    if message is not None and message.voice is not None:
        return Recording("voice", message.voice.file_id, _seconds(message.voice.duration))
    if message is not None and message.video_note is not None:
        note = message.video_note
        return Recording("video_note", note.file_id, _seconds(note.duration))
    return Recording("", "", 0)


async def recording(update: Update, context: Context) -> None:
    rt = context.bot_data
    checked = check(_recording(update))
    async with unit_of_work(rt, update) as (session, person):
        reply = await _received(session, person, checked, rt.clock.now())
    await send(update, reply)


async def _received(
    session: AsyncSession,
    person: Person,
    checked: Recording | TooLongRecording | EmptyRecording,
    now: datetime,
) -> Reply:
    # Too long or empty: said kindly, and whatever was asked for stays armed for another take.
    if isinstance(checked, TooLongRecording):
        return Reply(texts.recording_too_long(checked.seconds))
    if isinstance(checked, EmptyRecording):
        return Reply(texts.RECORDING_EMPTY)
    partner = await people.partner_of(session, person)
    if partner is None:
        return Reply(texts.RECORDING_UNPAIRED)
    awaited = people.take_awaiting(person, now)
    kind = awaited.kind if awaited else None
    ref = awaited.ref if awaited else None
    if kind == phrases.AWAIT_OFFER:
        offered = await phrases.offer(session, person, "", now, checked)
        if isinstance(offered, Words):
            return Reply(texts.recording_sent_to_listen(offered.partner_name, offered.words))
        return Reply(rejection(offered))
    if kind == phrases.AWAIT_REWORD:
        answered = await phrases.answer_with_recording(session, person, ref or 0, checked, now)
        if isinstance(answered, Words):
            return Reply(texts.recording_sent_to_listen(answered.partner_name, answered.words))
        if answered is Refusal.STALE:
            return Reply(texts.PHRASE_GONE)
        return Reply(rejection(answered))
    if kind == nudges.AWAIT_NUDGE:
        sent = await nudges.send_recorded(session, person, ref or 0, checked, now)
        if isinstance(sent, Sent):
            return Reply(texts.nudge_sent(sent.partner_name, sent.words))
        if sent is Refusal.ALREADY_ANSWERED:
            return Reply(texts.NUDGE_ALREADY_SENT)
        return Reply(rejection(sent))
    if kind == nudges.AWAIT_LETTER:
        saved = await nudges.write_letter(session, person, "", now, checked)
        return nudge_handlers.letter_reply(saved)
    if awaited is not None:  # a prompt that needs typed words: it stays armed
        people.await_reply(person, awaited.kind, awaited.ref, now)
        if kind == phrases.AWAIT_PROPOSE:
            return Reply(texts.RECORDING_ASK_WITH_TEXT)
        return Reply(texts.RECORDING_NOT_HERE)
    return Reply(texts.recording_not_awaited(partner.first_name))
