"""/export and /delete: everything Steady stores about a person, as JSON and as a page a person
can read; and erasing it.

"About a person" is found from the schema itself — every row with a foreign key to them, and
their own row — so a table added later is covered without anyone remembering to add it here.
The readable page is written section by section for people (your words, your partner's words,
rituals with their times and clocks, the journal, your triggers, check-ins, dates), each line
dated in the reader's time zone; it holds no ids, keys or token hashes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.base import Base, table_of
from bot.db.models import (
    CheckIn,
    ImportantDate,
    JournalEntry,
    Person,
    Phrase,
    QuickNote,
    ReassuranceRequest,
    Trigger,
)
from bot.services import pairing, rituals
from bot.services.people import partner_of
from bot.services.phrases import AGREED
from bot.services.rituals import Overview
from bot.services.schedule import local_now

# Not the person's data, and no use to them: the outbox's claim bookkeeping.
_SKIP_COLUMNS = {"claimed_by", "claimed_until"}


def person_columns() -> list[tuple[Table, str]]:
    """(table, column) for every column that points at a person."""
    out = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == Person.__tablename__ for fk in column.foreign_keys):
                out.append((table, column.name))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Export:
    readable: bytes  # UTF-8 plain text, for a person
    data: bytes  # UTF-8 JSON, every row about them


async def export(session: AsyncSession, person: Person, now: datetime) -> Export:
    """Both files of /export: the page to read, and the JSON."""
    return Export(await readable(session, person, now), await as_json(session, person, now))


async def as_json(session: AsyncSession, person: Person, now: datetime) -> bytes:
    """A JSON document of every row about the person, table by table."""
    people = Person.__table__
    data: dict[str, Any] = {
        "exported_at": now.isoformat(),
        "about": texts.EXPORT_ABOUT,
    }
    own = (await session.execute(select(people).where(people.c.id == person.id))).mappings().one()
    data["people"] = [{k: _plain(v) for k, v in own.items()}]
    # The couple's dates are both partners' (the anniversary the other one added, too).
    dates = table_of(ImportantDate)
    shared = await session.execute(
        select(dates).where(dates.c.couple_id == person.couple_id).order_by(dates.c.id)
    )
    data[dates.name] = [{k: _plain(v) for k, v in row.items()} for row in shared.mappings()]
    for table, column in person_columns():
        rows = (
            await session.execute(
                select(table).where(table.c[column] == person.id).order_by(*table.primary_key)
            )
        ).mappings()
        listed = data.setdefault(table.name, [])
        seen = {row["id"] for row in listed}
        for row in rows:
            if row["id"] not in seen:
                listed.append({k: _plain(v) for k, v in row.items() if k not in _SKIP_COLUMNS})
    data = {k: v for k, v in data.items() if v != []}
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


async def delete(session: AsyncSession, person: Person, now: datetime) -> None:
    """Unpair (the partner is told neutrally), then remove the person. Their rows go with them
    (ON DELETE CASCADE); where a row is the partner's too — a message they sent, an invite they
    used — the reference is cleared (ON DELETE SET NULL)."""
    if person.couple_id is not None:
        await pairing.unpair(
            session, person, person.couple_id, now, texts.partner_deleted(person.first_name)
        )
    await session.delete(person)


async def readable(session: AsyncSession, person: Person, now: datetime) -> bytes:
    """Plain text, section by section, every line dated on the reader's clock."""
    zone = person.timezone or "UTC"

    def when(instant: datetime | None) -> str:
        if instant is None:
            return ""
        return texts.export_when(local_now(instant, zone))

    partner = await partner_of(session, person)
    other = partner.first_name if partner is not None else None
    lines = [texts.export_head(person.first_name, when(now), person.timezone)]

    phrases = list(
        await session.scalars(
            select(Phrase)
            .where((Phrase.receiver_id == person.id) | (Phrase.giver_id == person.id))
            .order_by(Phrase.created_at, Phrase.id)
        )
    )

    def phrase(p: Phrase) -> str:
        agreed = p.status == AGREED
        return texts.export_phrase(p.text, agreed, when(p.agreed_at if agreed else p.created_at))

    section = texts.export_section
    lines += section(
        texts.export_your_words(other), [phrase(p) for p in phrases if p.giver_id == person.id]
    )
    lines += section(
        texts.export_partner_words(other),
        [phrase(p) for p in phrases if p.receiver_id == person.id],
    )
    notes = await session.scalars(
        select(QuickNote).where(QuickNote.author_id == person.id).order_by(QuickNote.created_at)
    )
    lines += section(
        texts.EXPORT_NOTES, [texts.export_line(when(n.created_at), n.text) for n in notes]
    )
    overview = (
        await rituals.overview(session, person, now) if person.couple_id is not None else None
    )
    views = overview.rituals if isinstance(overview, Overview) else []
    lines += section(texts.EXPORT_RITUALS, [texts.export_ritual(v.label, v.paused) for v in views])
    names = {person.id: texts.YOU} | ({partner.id: partner.first_name} if partner else {})
    journal = await session.scalars(
        select(JournalEntry)
        .where(JournalEntry.couple_id == person.couple_id)
        .order_by(JournalEntry.created_at, JournalEntry.id)
    )
    lines += section(
        texts.EXPORT_JOURNAL,
        [
            texts.export_line(when(e.created_at), e.text, names.get(e.author_id))
            for e in journal
            if e.author_id in names
        ],
    )
    triggers = await session.scalars(
        select(Trigger).where(Trigger.person_id == person.id).order_by(Trigger.created_at)
    )
    lines += section(
        texts.EXPORT_TRIGGERS,
        [texts.export_trigger(when(t.created_at), t.what, t.feeling, t.need) for t in triggers],
    )
    checkins = await session.scalars(
        select(CheckIn).where(CheckIn.person_id == person.id).order_by(CheckIn.created_at)
    )
    lines += section(
        texts.EXPORT_CHECKINS,
        [texts.export_checkin(when(c.created_at), c.mood, c.note) for c in checkins],
    )
    requests = await session.scalars(
        select(ReassuranceRequest.created_at)
        .where(ReassuranceRequest.requester_id == person.id)
        .order_by(ReassuranceRequest.created_at)
    )
    lines += section(texts.EXPORT_REQUESTS, [texts.export_request(when(r)) for r in requests])
    dates = await session.scalars(
        select(ImportantDate)
        .where(ImportantDate.couple_id == person.couple_id)
        .order_by(ImportantDate.month, ImportantDate.day)
    )
    lines += section(
        texts.EXPORT_DATES,
        [
            texts.export_line(
                texts.day_of_year(d.month, d.day, d.year),
                texts.date_title(d.kind, d.name, "" if d.person_id == person.id else other),
            )
            for d in dates
        ],
    )
    lines.append(texts.EXPORT_FOOT)
    return "\n".join(lines).encode()
