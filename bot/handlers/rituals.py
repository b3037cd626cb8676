"""/rituals (a menu with buttons), /ritual add|list|pause|resume|delete, the partner's keep or
decline, the starter set offered after pairing, and "Planned ✓" on a date reminder."""

from __future__ import annotations

from datetime import datetime

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
from bot.services import rituals
from bot.services.common import Refusal
from bot.services.rituals import (
    Added,
    Change,
    Changed,
    ClockView,
    NewRitual,
    NoSuchNumber,
    Overview,
)
from bot.services.schedule import choose_zone

_REFUSALS = {
    Refusal.NOT_PAIRED: texts.NOT_PAIRED,
    Refusal.DUPLICATE: texts.RITUAL_DUPLICATE,
    Refusal.LIMIT: texts.RITUAL_LIMIT,
    Refusal.STALE: texts.BUTTON_STALE,
}


def _list_text(view: Overview) -> str:
    labels = [v.label for v in view.rituals]
    return texts.rituals_list(labels, view.waiting.me, view.waiting.partner)


def _menu(view: Overview) -> Reply:
    rows: Buttons = []
    for v in view.rituals:
        toggle = (
            (
                texts.numbered_button(texts.RESUME_BUTTON, v.number),
                callbacks.pack(callbacks.RITUAL_MENU, "r", v.ritual_id),
            )
            if v.paused
            else (
                texts.numbered_button(texts.PAUSE_BUTTON, v.number),
                callbacks.pack(callbacks.RITUAL_MENU, "p", v.ritual_id),
            )
        )
        rows.append(
            [
                toggle,
                (
                    texts.numbered_button(texts.DELETE_BUTTON, v.number),
                    callbacks.pack(callbacks.RITUAL_MENU, "d", v.ritual_id),
                ),
            ]
        )
    rows.append([(texts.RITUAL_ADD_BUTTON, callbacks.pack(callbacks.RITUAL_MENU, "a"))])
    return Reply(_list_text(view), keyboards.inline(rows))


def _added(result: Added | Refusal) -> str:
    if isinstance(result, Added):
        text = texts.ritual_added(result.label, result.waiting.me, result.waiting.partner)
        return text + ("\n" + texts.clock_chosen(result.clock) if result.clock else "")
    return _REFUSALS[result]


def _clock_text(view: ClockView | Refusal) -> str:
    if isinstance(view, Refusal):
        return _REFUSALS[view]
    return texts.clock_view(texts.zone_city(view.zone) if view.zone else None, view.labels)


async def menu(update: Update, context: Context) -> None:
    now = context.bot_data.clock.now()
    async with unit_of_work(context.bot_data, update, is_command=True) as (session, person):
        view = await rituals.overview(session, person, now)
    await send(update, texts.NOT_PAIRED if isinstance(view, Refusal) else _menu(view))


async def ritual_command(update: Update, context: Context) -> None:
    """/ritual add <kind> <HH:MM> [days] | list | pause <n> | resume <n> | delete <n> |
    zone [<Area/City>] | remind eve|morning"""
    rt = context.bot_data
    words = command_text(update).split()
    sub = texts.TYPED_RITUAL_ACTIONS.get(words[0].lower(), "") if words else ""
    args = words[1:]
    now = rt.clock.now()
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        view = await rituals.overview(session, person, now)
        if isinstance(view, Refusal):
            reply: str = texts.NOT_PAIRED
        elif sub == "zone":
            reply = await _zone(session, person, " ".join(args), now)
        elif sub == "remind":
            ahead = texts.TYPED_DATE_AHEAD.get(args[0].lower()) if len(args) == 1 else None
            reply = (
                texts.DATE_AHEAD_USAGE
                if ahead is None
                else _ahead_text(await rituals.set_date_ahead(session, person, ahead, now))
            )
        elif sub == "list":
            reply = _list_text(view)
        elif sub == "add":
            parsed = rituals.parse_add(args)
            if isinstance(parsed, NewRitual):
                added = await rituals.add(
                    session, person, parsed.kind, parsed.minutes, parsed.days, now
                )
                reply = _added(added)
            else:
                reply = parsed
        elif sub in _CHANGES:
            number = int(args[0]) if len(args) == 1 and args[0].isdigit() else 0
            changed = await rituals.change(session, person, now, _CHANGES[sub], number=number)
            reply = _changed(_CHANGES[sub], changed)
        else:
            reply = texts.RITUAL_USAGE
    await send(update, reply)


def _ahead_text(done: str | Refusal) -> str:
    if done is Refusal.DUPLICATE:
        return texts.DATE_AHEAD_SAME
    if isinstance(done, Refusal):
        return _REFUSALS[done]
    return texts.date_ahead_set(done)


async def _zone(session: AsyncSession, person: Person, typed: str, now: datetime) -> str:
    """/ritual zone: the couple's clock, or a new one."""
    if not typed.strip():
        return _clock_text(await rituals.clock_of(session, person, now))
    choice = choose_zone(typed)
    if choice.zone is None:
        return texts.clock_unknown(list(choice.suggestions))
    result = await rituals.set_clock(session, person, choice.zone, now)
    if result is Refusal.DUPLICATE:
        return texts.CLOCK_SAME
    if isinstance(result, Refusal):
        return _REFUSALS[result]
    return texts.clock_set(texts.zone_city(choice.zone), result.labels)


_CHANGES: dict[str, Change] = {"pause": "pause", "resume": "resume", "delete": "delete"}
_BUTTON_CHANGES: dict[str, Change] = {"p": "pause", "r": "resume", "d": "delete"}


def _changed(what: Change, result: Changed | NoSuchNumber | Refusal) -> str:
    if isinstance(result, NoSuchNumber):
        return texts.ritual_number_unknown(result.count)
    if isinstance(result, Refusal):
        return _REFUSALS.get(result, texts.BUTTON_STALE)
    return {
        "pause": texts.ritual_paused,
        "resume": texts.ritual_resumed,
        "delete": texts.ritual_deleted,
    }[what](result.label)


async def menu_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """⏸ / ▶ / 🗑 beside a ritual, or ➕ Add a ritual, in the /rituals menu."""
    rt = context.bot_data
    if pressed.action == "a":
        await answer(update)
        await edit_pressed(update, texts.RITUAL_PICK_KIND, keyboards.inline(rituals.kind_buttons()))
        return
    what = _BUTTON_CHANGES[pressed.action]
    async with unit_of_work(rt, update) as (session, person):
        changed = await rituals.change(session, person, rt.clock.now(), what, ritual_id=pressed.ref)
        view = await rituals.overview(session, person, rt.clock.now())
    if not isinstance(changed, Changed) or isinstance(view, Refusal):
        await answer(update, texts.BUTTON_STALE)
        return
    await answer(update, _changed(what, changed)[:200])
    await _edit_to(update, _menu(view))


async def add_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """The add flow: kind → time → days."""
    rt = context.bot_data
    refs = pressed.refs
    if pressed.action == "x":
        await answer(update)
        await edit_pressed(update, texts.UNPAIR_CANCELLED)
        return
    if pressed.action == "k":
        await answer(update)
        await edit_pressed(update, texts.RITUAL_PICK_KIND, keyboards.inline(rituals.kind_buttons()))
        return
    if not 0 <= refs[0] < len(rituals.KINDS) or (len(refs) > 1 and not 0 <= refs[1] < 24 * 60):
        await answer(update, texts.BUTTON_STALE)
        return
    if pressed.action == "t":
        await answer(update)
        joint = rituals.KINDS[refs[0]] in rituals.JOINT
        await edit_pressed(
            update,
            texts.RITUAL_PICK_SHARED_TIME if joint else texts.RITUAL_PICK_TIME,
            keyboards.inline(rituals.time_buttons(refs[0])),
        )
        return
    if pressed.action == "d":
        await answer(update)
        await edit_pressed(
            update, texts.RITUAL_PICK_DAYS, keyboards.inline(rituals.day_buttons(refs[0], refs[1]))
        )
        return
    kind, minutes, days = rituals.KINDS[refs[0]], refs[1], refs[2]
    if not 0 < days < 128:
        await answer(update, texts.BUTTON_STALE)
        return
    async with unit_of_work(rt, update) as (session, person):
        result = await rituals.add(session, person, kind, minutes, days, rt.clock.now())
    await answer(update)
    await edit_pressed(update, _added(result))


async def notice_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """👍 Keep it / ✖ Decline on a ritual the partner added."""
    rt = context.bot_data
    keep = pressed.action == "k"
    async with unit_of_work(rt, update) as (session, person):
        result = await rituals.answer_notice(
            session, person, pressed.ref or 0, keep, rt.clock.now()
        )
    if isinstance(result, Refusal):
        await answer(update, texts.BUTTON_STALE)
        return
    await answer(update)
    await edit_pressed(update, (texts.ritual_kept if keep else texts.ritual_declined)(result.label))


async def starter_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """The starter set after pairing: add at the suggested time, or pick another time."""
    rt = context.bot_data
    couple, *rest = pressed.refs
    async with unit_of_work(rt, update) as (session, person):
        own = person.couple_id == couple
        if own and pressed.action in ("t", "b"):
            rituals.drop_starter_time(person)
        if own and pressed.action in ("a", "t") and 0 <= rest[0] < len(rituals.STARTERS):
            kind, minutes, days = rituals.STARTERS[rest[0]]
            if pressed.action == "t":
                minutes = rest[1]
            result: Added | Refusal | None = await rituals.add(
                session, person, kind, minutes, days, rt.clock.now()
            )
        else:
            result = None
    if not own or (pressed.action in ("a", "t", "o") and not 0 <= rest[0] < len(rituals.STARTERS)):
        await answer(update, texts.BUTTON_STALE)
        return
    if pressed.action == "o":
        async with unit_of_work(rt, update) as (_session, person):
            rituals.await_starter_time(person, rest[0], rt.clock.now())
        await answer(update)
        await edit_pressed(
            update,
            texts.STARTER_TYPE_TIME,
            keyboards.inline(rituals.starter_time_buttons(couple, rest[0])),
        )
        return
    if pressed.action == "b":
        await answer(update)
        await edit_pressed(
            update, texts.STARTER_INTRO, keyboards.inline(rituals.starter_buttons(couple))
        )
        return
    if isinstance(result, Added):
        await answer(update, texts.STARTER_ADDED)
        await send(update, _added(result))
        if pressed.action == "t":
            await edit_pressed(
                update, texts.STARTER_INTRO, keyboards.inline(rituals.starter_buttons(couple))
            )
    elif isinstance(result, Refusal):
        await answer(update, rejection(result) if result not in _REFUSALS else _REFUSALS[result])


async def _edit_to(update: Update, reply: Reply) -> None:
    markup = reply.markup if isinstance(reply.markup, InlineKeyboardMarkup) else None
    await edit_pressed(update, reply.text, markup)


async def date_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """Planned ✓ on a date reminder (or on the partner's copy, once it is planned: the button
    goes and the reminder says it is planned)."""
    rt = context.bot_data
    async with unit_of_work(rt, update) as (session, person):
        result = await rituals.date_planned(session, person, pressed.ref or 0, rt.clock.now())
    if result is Refusal.STALE:
        await answer(update, texts.BUTTON_STALE)
        return
    await answer(update, texts.DATE_ALREADY_PLANNED if isinstance(result, Refusal) else None)
    message = update.callback_query.message if update.callback_query else None
    reminder = getattr(message, "text", None) or ""
    await edit_pressed(update, texts.date_marked_planned(reminder))


async def typed_starter_time(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, ref: int | None, text: str
) -> Reply:
    """A time typed after 🕐 Other time."""
    result = await rituals.add_starter_at(session, person, ref or 0, text, rt.clock.now())
    return Reply(texts.STARTER_BAD_TIME if result is None else _added(result))
