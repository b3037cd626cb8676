"""/export and /delete: everything Steady stores about a person, as JSON; and erasing it.

"About a person" is found from the schema itself — every row with a foreign key to them, and
their own row — so a table added later is covered without anyone remembering to add it here."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts
from bot.db.base import Base, table_of
from bot.db.models import ImportantDate, Person
from bot.services import pairing

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


async def export(session: AsyncSession, person: Person, now: datetime) -> bytes:
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
