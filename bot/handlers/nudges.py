"""/notes, /note, and the buttons on a nudge prompt (a note with one tap, or ✍️ Write one)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Update

from bot import callbacks, keyboards, texts
from bot.callbacks import Buttons, Callback
from bot.db.models import Person
from bot.handlers.common import (
    Reply,
    answer,
    command_text,
    edit_pressed,
    rejection,
    send,
    unit_of_work,
)
from bot.runtime import Context, Runtime
from bot.services import nudges
from bot.services.common import Refusal, Rejected
from bot.services.nudges import LetterSaved, Sent
from bot.services.schedule import local_now


def _notes_view(notes: list[tuple[int, str]]) -> Reply:
    if not notes:
        return Reply(texts.notes_view([]))
    rows: Buttons = [
        [
            (
                texts.REMOVE_LABEL_PREFIX + texts.shortened(words, 40),
                callbacks.pack(callbacks.QUICK_NOTE, "x", note_id),
            )
        ]
        for note_id, words in notes
    ]
    return Reply(texts.notes_view([w for _, w in notes]), keyboards.inline(rows))


async def notes(update: Update, context: Context) -> None:
    """/notes lists your one-tap notes; /notes <words> adds one."""
    rt = context.bot_data
    words = command_text(update)
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        if words.strip():
            added = await nudges.add_quick_note(session, person, words, rt.clock.now())
            reply = Reply(texts.note_added(added) if isinstance(added, str) else _refusal(added))
        else:
            reply = _notes_view([(n.id, n.text) for n in await nudges.quick_notes(session, person)])
    await send(update, reply)


def _refusal(refused: Rejected) -> str:
    if refused is Refusal.LIMIT:
        return texts.NOTES_LIMIT
    return rejection(refused, texts.NOTES_USAGE)


async def note_removed(update: Update, context: Context, pressed: Callback) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        removed = await nudges.remove_quick_note(session, person, pressed.ref or 0)
        remaining = [(n.id, n.text) for n in await nudges.quick_notes(session, person)]
    if isinstance(removed, Refusal):
        await answer(update, texts.BUTTON_STALE)
        return
    await answer(update, texts.PHRASE_REMOVED)
    view = _notes_view(remaining)
    markup = view.markup if isinstance(view.markup, InlineKeyboardMarkup) else None
    await edit_pressed(update, view.text, markup)


async def note(update: Update, context: Context) -> None:
    """/note <words>: a note for the partner, delivered at the next nudge time. /note alone: the
    next message is the note — typed, or a voice message (bot/handlers/voice.py)."""
    rt = context.bot_data
    words = command_text(update)
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        if words.strip():
            saved = await nudges.write_letter(session, person, words, rt.clock.now())
            reply = letter_reply(saved)
        else:
            started = await nudges.start_letter(session, person, rt.clock.now())
            reply = (
                Reply(
                    texts.letter_prompt(started),
                    keyboards.cancel_input(nudges.AWAIT_LETTER, None),
                )
                if isinstance(started, str)
                else Reply(texts.NOTE_USAGE)
            )
    await send(update, reply)


def letter_reply(saved: LetterSaved | Rejected) -> Reply:
    if isinstance(saved, LetterSaved):
        when = None
        if saved.next_nudge is not None and saved.zone is not None:
            when = texts.weekday_and_time(local_now(saved.next_nudge, saved.zone))
        return Reply(texts.letter_saved(saved.partner_name, saved.has_nudge, when))
    if saved is Refusal.LIMIT:
        return Reply(texts.NOTES_LIMIT)
    return Reply(rejection(saved, texts.NOTE_USAGE))


async def typed_letter(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, _ref: int | None, text: str
) -> Reply:
    """The note typed after /note alone."""
    return letter_reply(await nudges.write_letter(session, person, text, rt.clock.now()))


async def prompt_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """A note tapped on a nudge prompt goes to the partner; ✍️ Write one arms a typed note."""
    rt = context.bot_data
    occurrence = pressed.refs[0]
    now = rt.clock.now()
    async with unit_of_work(rt, update) as (session, person):
        if pressed.action == "w":
            result: Sent | str | Refusal = await nudges.start_writing(
                session, person, occurrence, now
            )
        elif pressed.action == "s":
            result = await nudges.send_chosen(
                session, person, occurrence, now, note_id=pressed.refs[1]
            )
        else:
            result = await nudges.send_chosen(
                session, person, occurrence, now, default=pressed.refs[1]
            )
    if isinstance(result, Refusal):
        await answer(
            update,
            texts.NUDGE_ALREADY_SENT if result is Refusal.ALREADY_ANSWERED else texts.BUTTON_STALE,
        )
        return
    await answer(update)
    if isinstance(result, str):
        cancel = keyboards.cancel_input(nudges.AWAIT_NUDGE, occurrence)
        await send(update, Reply(texts.nudge_write_prompt(result), cancel))
    else:
        await edit_pressed(update, texts.nudge_sent(result.partner_name, result.words))


async def typed_note(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, ref: int | None, text: str
) -> Reply:
    result = await nudges.send_written(session, person, ref or 0, text, rt.clock.now())
    if isinstance(result, Sent):
        return Reply(texts.nudge_sent(result.partner_name, result.words))
    if result is Refusal.ALREADY_ANSWERED:
        return Reply(texts.NUDGE_ALREADY_SENT)
    return Reply(rejection(result, texts.EMPTY_MESSAGE))
