"""Encrypted columns: checking at start-up that the configured keys open them, and
`python -m bot rotate-key`, which rewrites every sensitive value with the current DATA_KEY (plain
text from before a key was set included)."""

from __future__ import annotations

from sqlalchemy import Table, Text, select, type_coerce, update

from bot.db.base import Base
from bot.db.crypto import PREFIX, SecretJSON, SecretText, UnreadableText, decrypt
from bot.db.engine import Database

BATCH = 500


def secret_columns() -> list[tuple[Table, str]]:
    return [
        (table, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, SecretText | SecretJSON)
    ]


async def keys_open_everything(db: Database) -> bool:
    """Whether one encrypted value of each text column can be read with the configured keys."""
    async with db.transaction() as session:
        for table, name in secret_columns():
            if not isinstance(table.c[name].type, SecretText):
                continue
            raw = type_coerce(table.c[name], Text)
            sample = await session.scalar(select(raw).where(raw.like(f"{PREFIX}%")).limit(1))
            if sample is None:
                continue
            try:
                decrypt(sample)
            except UnreadableText:
                return False
    return True


async def rotate(db: Database) -> int:
    """Re-encrypt every sensitive value with the current key; returns how many were written."""
    written = 0
    for table, name in secret_columns():
        last = 0
        while True:
            async with db.transaction() as session:
                rows = (
                    await session.execute(
                        select(table.c.id, table.c[name])
                        .where(table.c.id > last, table.c[name].is_not(None))
                        .order_by(table.c.id)
                        .limit(BATCH)
                    )
                ).all()
                for row_id, value in rows:
                    await session.execute(
                        update(table).where(table.c.id == row_id).values({name: value})
                    )
            written += len(rows)
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
    return written
