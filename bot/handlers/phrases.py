"""/phrase, /offer, /phrases, and the buttons that answer and manage phrases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update

from bot import callbacks, keyboards, texts
from bot.callbacks import Buttons, Callback
from bot.db.models import Person
from bot.handlers.common import (
    Reply,
    answer,
    command_text,
    drop_buttons,
    edit_pressed,
    pages,
    rejection,
    send,
    settle_pressed,
    settle_stale,
    unit_of_work,
)
from bot.runtime import Context, Runtime
from bot.services import phrases
from bot.services.common import Refusal, Rejected
from bot.services.phrases import Overview, Words

REMOVE_PAGE_SIZE = 8
LABEL_CHARS = 40


async def phrase(update: Update, context: Context) -> None:
    await _new(update, context, as_receiver=True)


async def offer(update: Update, context: Context) -> None:
    await _new(update, context, as_receiver=False)


async def _new(update: Update, context: Context, *, as_receiver: bool) -> None:
    rt = context.bot_data
    raw = command_text(update)
    if not as_receiver and not raw.strip():
        await _offer_prompt(update, context)
        return
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        result = await (phrases.propose if as_receiver else phrases.offer)(
            session, person, raw, rt.clock.now()
        )
    await send(update, _after_new(result, as_receiver))


async def _offer_prompt(update: Update, context: Context) -> None:
    """/offer alone: the next message — typed, or a recording — becomes the offer."""
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        refused = await phrases.ask_by_typing(
            session, person, person.couple_id or 0, False, rt.clock.now()
        )
    if refused is not None:
        await send(update, texts.OFFER_USAGE)
        return
    prompt = f"{texts.OFFER_PROMPT}\n\n{texts.RECORD_HINT}"
    await send(update, Reply(prompt, keyboards.cancel_input(phrases.AWAIT_OFFER, None)))


def _after_new(result: Words | Rejected, as_receiver: bool) -> str:
    if isinstance(result, Words):
        if as_receiver:
            return texts.phrase_proposed(result.partner_name, result.words)
        return texts.phrase_offered(result.partner_name, result.words)
    return rejection(result, texts.PHRASE_USAGE if as_receiver else texts.OFFER_USAGE)


async def typed_new(
    rt: Runtime, session: AsyncSession, person: Person, kind: str, _ref: int | None, text: str
) -> Reply:
    """The text someone sent after choosing "Ask for words" / "Offer words" in /phrases."""
    as_receiver = kind == phrases.AWAIT_PROPOSE
    service = phrases.propose if as_receiver else phrases.offer
    return Reply(_after_new(await service(session, person, text, rt.clock.now()), as_receiver))


async def typed_reword(
    rt: Runtime, session: AsyncSession, person: Person, _kind: str, ref: int | None, text: str
) -> Reply:
    """The giver's own wording, sent after ✏️ Edit."""
    result = await phrases.finish_rewording(session, person, ref or 0, text, rt.clock.now())
    if isinstance(result, Words):
        return Reply(texts.phrase_reworded_giver(result.words))
    if result is Refusal.STALE:
        return Reply(texts.PHRASE_GONE)
    return Reply(rejection(result, texts.EMPTY_MESSAGE))


async def proposal_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """✅ Agree / ✏️ Edit / ✖ Decline on words the partner asked for."""
    if pressed.action == "e" and pressed.ref is not None:
        rt = context.bot_data
        async with unit_of_work(rt, update) as (session, person):
            result = await phrases.start_rewording(session, person, pressed.ref, rt.clock.now())
        if isinstance(result, Words):
            await answer(update)
            cancel = keyboards.cancel_input(phrases.AWAIT_REWORD, pressed.ref)
            prompt = f"{texts.phrase_edit_prompt(result.words)}\n\n{texts.RECORD_HINT}"
            await send(update, Reply(prompt, cancel))
        else:
            await _refused(update, result)
        return
    await _answer_pressed(update, context, pressed, phrases.PROPOSED)


async def offer_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """✅ Accept / ✖ No thanks on words the partner offered."""
    await _answer_pressed(update, context, pressed, phrases.OFFERED)


_ANSWERED = {
    (phrases.PROPOSED, True): texts.phrase_agreed_giver,
    (phrases.PROPOSED, False): texts.phrase_declined_giver,
    (phrases.OFFERED, True): texts.offer_accepted_receiver,
    (phrases.OFFERED, False): texts.offer_declined_receiver,
}


async def _answer_pressed(
    update: Update,
    context: Context,
    pressed: Callback,
    asked: str,
) -> None:
    """Yes (a) or no (d) to a proposal or an offer; the question's message becomes the answer."""
    rt = context.bot_data
    if pressed.ref is None or pressed.action not in ("a", "d"):
        await answer(update, texts.BUTTON_STALE)
        return
    yes = pressed.action == "a"
    async with unit_of_work(rt, update) as (session, person):
        service = phrases.answer_proposal if asked == phrases.PROPOSED else phrases.answer_offer
        result = await service(session, person, pressed.ref, yes, rt.clock.now())
    if not isinstance(result, Words):
        await _refused(update, result)
        return
    await answer(update)
    await drop_buttons(update, _ANSWERED[(asked, yes)](result.words))


async def _refused(update: Update, refusal: Refusal) -> None:
    await answer(update, rejection(refusal))
    if refusal is Refusal.ALREADY_ANSWERED:
        await settle_stale(update)


async def remove_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """✖ Remove — on a reworded phrase's notice, or in the /phrases removal list."""
    rt = context.bot_data
    if pressed.ref is None:
        await answer(update, texts.BUTTON_STALE)
        return
    async with unit_of_work(rt, update) as (session, person):
        result = await phrases.remove(session, person, pressed.ref, rt.clock.now())
        view = await phrases.overview(session, person)
    if not isinstance(result, Words):
        await answer(update, rejection(result))
        return
    await answer(update, texts.PHRASE_REMOVED)
    if isinstance(view, Overview) and _is_removal_list(update):
        await _show_removal_list(update, view, page=0)
    else:
        await settle_pressed(update, texts.PHRASE_REMOVED)


async def overview(update: Update, context: Context) -> None:
    rt = context.bot_data
    async with unit_of_work(rt, update, is_command=True) as (session, person):
        view = await phrases.overview(session, person)
    if isinstance(view, Refusal):
        await send(update, texts.NOT_PAIRED)
        return
    lines = texts.phrases_overview(
        view.partner_name,
        view.hear,
        view.hear_pending,
        view.hear_offered,
        view.say,
        view.say_pending,
        view.say_offered,
    )
    chunks = pages(lines)
    for chunk in chunks[:-1]:
        await send(update, chunk)
    couple = view.couple_id
    menu: Buttons = [
        [
            (texts.PROPOSE_BUTTON, callbacks.pack(callbacks.PHRASES_MENU, "ask", couple)),
            (texts.OFFER_BUTTON, callbacks.pack(callbacks.PHRASES_MENU, "off", couple)),
        ]
    ]
    if view.removable:
        remove_some = callbacks.pack(callbacks.PHRASES_MENU, "rm", couple)
        menu.append([(texts.REMOVE_SOME_BUTTON, remove_some)])
    await send(update, Reply(chunks[-1], keyboards.inline(menu)))


async def menu_pressed(update: Update, context: Context, pressed: Callback) -> None:
    """The /phrases menu. Its buttons name the couple they were shown to: after an unpairing
    they do nothing."""
    rt = context.bot_data
    if pressed.action == "done":
        await answer(update)
        await drop_buttons(update)
        return
    couple = pressed.ref or 0
    if pressed.action in ("ask", "off"):
        async with unit_of_work(rt, update) as (session, person):
            refused = await phrases.ask_by_typing(
                session, person, couple, pressed.action == "ask", rt.clock.now()
            )
        if refused is not None:
            await answer(update, texts.BUTTON_STALE)
            return
        await answer(update)
        asking = pressed.action == "ask"
        prompt = texts.PROPOSE_PROMPT if asking else f"{texts.OFFER_PROMPT}\n\n{texts.RECORD_HINT}"
        kind = phrases.AWAIT_PROPOSE if asking else phrases.AWAIT_OFFER
        await send(update, Reply(prompt, keyboards.cancel_input(kind, None)))
        return
    async with unit_of_work(rt, update) as (session, person):
        view = await phrases.overview(session, person)
    if not isinstance(view, Overview) or view.couple_id != couple:
        await answer(update, texts.BUTTON_STALE)
        return
    await answer(update)
    page = pressed.refs[1] if len(pressed.refs) > 1 else 0
    await _show_removal_list(update, view, page)


def _is_removal_list(update: Update) -> bool:
    message = update.callback_query.message if update.callback_query else None
    return getattr(message, "text", None) in (
        texts.PHRASES_REMOVE_PICK,
        texts.PHRASES_NOTHING_TO_REMOVE,
    )


def _label(words: str) -> str:
    return texts.REMOVE_LABEL_PREFIX + texts.shortened(words, LABEL_CHARS)


async def _show_removal_list(update: Update, view: Overview, page: int) -> None:
    items = view.removable
    if not items:
        await edit_pressed(update, texts.PHRASES_NOTHING_TO_REMOVE)
        return
    last_page = (len(items) - 1) // REMOVE_PAGE_SIZE
    page = min(max(page, 0), last_page)
    shown = items[page * REMOVE_PAGE_SIZE : (page + 1) * REMOVE_PAGE_SIZE]
    rows: Buttons = [
        [(_label(words), callbacks.pack(callbacks.PHRASE_REMOVE, "x", pid))] for pid, words in shown
    ]

    def to_page(label: str, number: int) -> tuple[str, str]:
        return (label, callbacks.pack(callbacks.PHRASES_MENU, "pg", view.couple_id, number))

    nav = []
    if page > 0:
        nav.append(to_page(texts.PREVIOUS_BUTTON, page - 1))
    if page < last_page:
        nav.append(to_page(texts.NEXT_BUTTON, page + 1))
    nav.append((texts.DONE_BUTTON, callbacks.pack(callbacks.PHRASES_MENU, "done")))
    rows.append(nav)
    await edit_pressed(update, texts.PHRASES_REMOVE_PICK, keyboards.inline(rows))
