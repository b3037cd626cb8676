"""Small pieces every service uses: cleaning typed text, and "insert unless it exists"."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot import texts


class Refusal(Enum):
    """Why a service changed nothing. Each has a kind sentence in bot/texts.py."""

    NOT_PAIRED = "not_paired"
    EMPTY = "empty"
    LIMIT = "limit"
    PENDING_LIMIT = "pending_limit"
    DUPLICATE = "duplicate"
    STALE = "stale"  # unknown, not yours, another couple's, or no longer current
    ALREADY_ANSWERED = "already_answered"


@dataclass(frozen=True)
class TooLong:
    """Typed text over a limit; carries the length so the reply can say how far over it is."""

    length: int
    limit: int


Rejected = Refusal | TooLong


def clean_text(raw: str) -> str:
    """What a person typed, minus only what can't be shown or stored: control characters
    (newlines stay), lone surrogates, and blank space around it. Everything else — any script,
    emoji with joiners, `<`, `&`, `*`, blank lines — is kept exactly."""
    return "".join(
        ch for ch in raw if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()


def clean_name(raw: str | None) -> str:
    name = " ".join(clean_text(raw or "").split())[:64]
    return name or texts.NAMELESS


async def insert_ignore(
    session: AsyncSession, table: Table, values: dict[str, Any], unique: list[str]
) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike; True if a row was written."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=unique)
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0) == 1)
