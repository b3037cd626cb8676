"""Putting a message in the outbox: the first half of the one delivery path (bot/delivery sends).

A message written here in the same transaction as the change it reports is sent if and only if
that change commits. The dedupe key makes writing it twice harmless."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Buttons
from bot.db.engine import OUTBOX_WRITTEN
from bot.db.models import Delivery, Person
from bot.services.common import insert_ignore

# A relayed message that could not go out for this long is no longer the message it was.
RELAY_GRACE = timedelta(hours=12)

Keyboard = Literal["paired", "remove"]


def unique_key(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    recipient: Person,
    kind: str,
    text: str,
    now: datetime,
    buttons: Buttons | None = None,
    keyboard: Keyboard | None = None,
    couple_id: int | None = None,
    sender_id: int | None = None,
    due_at: datetime | None = None,
    grace: timedelta = RELAY_GRACE,
) -> bool:
    """Queue `text` for `recipient`. `couple_id` ties the message to a couple: if the couple
    unpairs before it is sent, it is never sent. Returns False if `key` was already queued."""
    payload: dict[str, Any] = {"text": text}
    if buttons:
        payload["buttons"] = buttons
    if keyboard:
        payload["keyboard"] = keyboard
    due = due_at or now
    session.info[OUTBOX_WRITTEN] = True
    return await insert_ignore(
        session,
        Delivery.__table__,  # type: ignore[arg-type]
        {
            "dedupe_key": key,
            "couple_id": couple_id,
            "recipient_id": recipient.id,
            "sender_id": sender_id,
            "chat_id": recipient.chat_id,
            "kind": kind,
            "payload": payload,
            "status": "pending",
            "due_at": due,
            "expires_at": due + grace,
            "attempts": 0,
            "created_at": now,
        },
        ["dedupe_key"],
    )
