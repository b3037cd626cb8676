"""The shared journal: moments of connection, and appreciations, that both partners see. A photo
is kept as Telegram's file_id, never its bytes. Once a week — at the couple's talk, or Sunday
18:00 without one — both get the week's entries, appreciations first, with the weekly picture."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import JournalEntry, Person
from bot.services import outbox, replies
from bot.services.common import Refusal, Rejected, TooLong, clean_text
from bot.services.people import partner_of
from bot.services.schedule import local_now

MOMENT, APPRECIATION = "moment", "appreciation"
WEEK = timedelta(days=7)
DIGEST_ENTRIES = 20  # more than this in a week: "…and N more in /journal"


@dataclass(frozen=True)
class Added:
    partner_name: str


async def add(
    session: AsyncSession,
    person: Person,
    raw: str,
    now: datetime,
    *,
    kind: str = MOMENT,
    photo: str | None = None,
) -> Added | Rejected:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    words = clean_text(raw)
    if not words:
        return Refusal.EMPTY
    # Telegram counts UTF-16 units (an emoji is two); a caption must stay within 1024 of them.
    limit = texts.JOURNAL_CAPTION_MAX_CHARS if photo else texts.JOURNAL_MAX_CHARS
    if texts.utf16_len(words) > limit:
        return TooLong(texts.utf16_len(words), limit)
    entry = JournalEntry(
        couple_id=person.couple_id,
        author_id=person.id,
        kind=kind,
        text=words,
        photo_file_id=photo,
        created_at=now,
    )
    session.add(entry)
    await session.flush()
    notice = (
        texts.appreciation_notice(person.first_name, words)
        if kind == APPRECIATION
        else texts.journal_notice(person.first_name, words)
    )
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"journal:{entry.id}",
        kind="journal",
        text=notice,
        photo=photo,
        silent=True,  # a moment to look at later, not an interruption
        buttons_for=replies.warm_buttons,
        now=now,
    )
    return Added(partner.first_name)


@dataclass(frozen=True)
class Page:
    lines: list[str]
    page: int  # 1-based
    pages: int
    photos: list[tuple[str, str]]  # (file_id, caption) of this page's photos
    buttons: Buttons


async def page(session: AsyncSession, person: Person, number: int) -> Page | Refusal:
    """Entries newest first, `texts.JOURNAL_PAGE_SIZE` to a page; times on the reader's clock."""
    if person.couple_id is None or await partner_of(session, person) is None:
        return Refusal.NOT_PAIRED
    couple_id = person.couple_id
    total = int(
        await session.scalar(
            select(func.count())
            .select_from(JournalEntry)
            .where(JournalEntry.couple_id == couple_id)
        )
        or 0
    )
    size = texts.JOURNAL_PAGE_SIZE
    pages = max(1, -(-total // size))
    number = min(max(number, 1), pages)
    rows = (
        await session.execute(
            select(JournalEntry, Person.first_name)
            .join(Person, Person.id == JournalEntry.author_id)
            .where(JournalEntry.couple_id == couple_id)
            .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
            .offset((number - 1) * size)
            .limit(size)
        )
    ).all()
    zone = person.timezone or "UTC"
    lines = [
        texts.journal_line(
            texts.YOU if entry.author_id == person.id else name,
            texts.entry_date(local_now(entry.created_at, zone)),
            entry.text,
            entry.photo_file_id is not None,
            entry.kind == APPRECIATION,
        )
        for entry, name in rows
    ]
    photos = [
        (e.photo_file_id, texts.shortened(e.text, texts.JOURNAL_CAPTION_MAX_CHARS))
        for e, _ in rows
        if e.photo_file_id is not None
    ]
    nav: list[tuple[str, str]] = []
    if number < pages:
        nav.append(
            (texts.OLDER_BUTTON, callbacks.pack(callbacks.JOURNAL, "pg", couple_id, number + 1))
        )
    if number > 1:
        nav.append(
            (texts.NEWER_BUTTON, callbacks.pack(callbacks.JOURNAL, "pg", couple_id, number - 1))
        )
    buttons: Buttons = [nav] if nav else []
    if photos:
        buttons.append(
            [(texts.SHOW_PHOTOS_BUTTON, callbacks.pack(callbacks.JOURNAL, "ph", couple_id, number))]
        )
    return Page(lines, number, pages, photos, buttons)


async def page_for_button(
    session: AsyncSession, person: Person, couple_id: int, number: int
) -> Page | Refusal:
    """A paging button works only for the couple it was made for."""
    if person.couple_id != couple_id:
        return Refusal.STALE
    return await page(session, person, number)


async def digest(session: AsyncSession, person: Person, now: datetime) -> str:
    """The week's entries of both partners, appreciations first, for the weekly digest."""
    rows = (
        await session.execute(
            select(JournalEntry, Person.first_name)
            .join(Person, Person.id == JournalEntry.author_id)
            .where(JournalEntry.couple_id == person.couple_id, JournalEntry.created_at > now - WEEK)
            .order_by(JournalEntry.created_at, JournalEntry.id)
        )
    ).all()
    if not rows:
        return f"{texts.DIGEST_HEAD}\n\n{texts.DIGEST_NOTHING}"
    zone = person.timezone or "UTC"

    def line(entry: JournalEntry, name: str) -> str:
        return texts.digest_line(
            texts.weekday_short(local_now(entry.created_at, zone)),
            texts.YOU if entry.author_id == person.id else name,
            entry.text,
            bool(entry.photo_file_id),
        )

    appreciations = [line(e, n) for e, n in rows if e.kind == APPRECIATION]
    moments = [line(e, n) for e, n in rows if e.kind != APPRECIATION]
    parts = [texts.DIGEST_HEAD]
    shown = 0
    # At most DIGEST_ENTRIES, and never past one message (names can be long, emoji count twice).
    budget = texts.PAGE_LIMIT - texts.utf16_len(texts.DIGEST_HEAD + texts.digest_more(len(rows)))
    for title, lines in (
        (texts.DIGEST_APPRECIATIONS, appreciations),
        (texts.DIGEST_MOMENTS, moments),
    ):
        kept: list[str] = []
        budget -= texts.utf16_len(title) + 4
        for entry in lines:
            budget -= texts.utf16_len(entry) + 1
            if shown >= DIGEST_ENTRIES or budget < 0:
                break
            kept.append(entry)
            shown += 1
        if kept:
            parts.append(f"{title}\n" + "\n".join(kept))
    if shown < len(rows):
        parts.append(texts.digest_more(len(rows) - shown))
    return "\n\n".join(parts)
