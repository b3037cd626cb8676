"""Putting a message in the outbox: the first half of the one delivery path (bot/delivery sends).

A message written here in the same transaction as the change it reports is sent if and only if
that change commits. The dedupe key makes writing it twice harmless."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, Literal, TypedDict, Unpack

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Buttons
from bot.db.base import table_of
from bot.db.engine import DUE_CHANGED
from bot.db.models import Delivery, Person
from bot.services.common import Refusal
from bot.services.people import partner_of


class Priority(IntEnum):
    """Who goes first for Telegram's budget (bot/delivery/limiter.py) and, among rows due, for
    the dispatcher."""

    WORDS = 0  # the agreed words, to someone who just asked for them
    REPLY = 1  # an answer to what someone just did
    QUEUED = 2  # everything else in the outbox: notices, rituals


# A relayed message that could not go out for this long is no longer the message it was.
RELAY_GRACE = timedelta(hours=12)

Keyboard = Literal["paired", "remove"]
_TABLE = table_of(Delivery)
# On the table, not the mapped class: a plain INSERT, without the ORM's bulk-insert machinery;
# built once, the values given as parameters (every message ever sent passes here).
_INSERT = {
    postgres: module.insert(_TABLE)
    .on_conflict_do_nothing(index_elements=["dedupe_key"])
    .returning(_TABLE.c.id)
    for postgres, module in ((False, sqlite), (True, postgresql))
}


def payload_of(
    text: str,
    buttons: Buttons | None = None,
    keyboard: Keyboard | None = None,
    silent: bool = False,
    photo: str | None = None,
    render: dict[str, Any] | None = None,
    media: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a row asks the sender to send (bot/delivery/sender.py reads it)."""
    payload: dict[str, Any] = {"text": text}
    if buttons:
        payload["buttons"] = buttons
    if keyboard:
        payload["keyboard"] = keyboard
    if silent:  # news that needs no sound (e.g. a journal entry)
        payload["silent"] = True
    if photo:  # a Telegram file_id; `text` is then its caption
        payload["photo"] = photo
    if render:  # a picture drawn when it is sent (Sender.renderers)
        payload["render"] = render
    if media:  # {"kind": "voice" | "video_note", "file_id": …}: sent by its file_id; `text` is
        # a voice message's caption, or a message of its own just after a video note
        payload["media"] = media
    return payload


def unique_key(prefix: str) -> str:
    return f"{prefix}:{uuid.uuid4().hex}"


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    recipient: Person,
    kind: str,
    text: str | None,
    now: datetime,
    buttons: Buttons | None = None,
    buttons_for: Callable[[int], Buttons] | None = None,
    keyboard: Keyboard | None = None,
    couple_id: int | None = None,
    sender_id: int | None = None,
    due_at: datetime | None = None,
    grace: timedelta = RELAY_GRACE,
    ritual_id: int | None = None,
    occurrence_at: datetime | None = None,
    status: str = "pending",
    silent: bool = False,
    photo: str | None = None,
    render: dict[str, Any] | None = None,
    priority: Priority = Priority.QUEUED,
    media: dict[str, Any] | None = None,
) -> int | None:
    """Queue `text` for `recipient`; returns the new row's id, or None if `key` was queued before.

    `couple_id` ties the message to a couple: if the couple unpairs first, it is never sent.
    `buttons_for` builds buttons that name the row itself (e.g. a check-in's answers). A row
    written with status "skipped" records an occurrence that will not be sent. With `photo` or
    `render`, the text is the picture's caption. `priority`: who goes first when several rows
    are due (the agreed words before anything else)."""
    payload = (
        None if text is None else payload_of(text, buttons, keyboard, silent, photo, render, media)
    )
    due = due_at or now
    values = {
        "dedupe_key": key,
        "couple_id": couple_id,
        "recipient_id": recipient.id,
        "sender_id": sender_id,
        "chat_id": recipient.chat_id,
        "kind": kind,
        "priority": priority,
        "payload": payload,
        "status": status,
        "due_at": due,
        "expires_at": due + grace if occurrence_at is None else occurrence_at + grace,
        "attempts": 0,
        "created_at": now,
        "ritual_id": ritual_id,
        "occurrence_at": occurrence_at,
    }
    statement = _INSERT[session.get_bind().dialect.name == "postgresql"]
    row_id = (await session.execute(statement, values)).scalar_one_or_none()
    if row_id is None:
        return None
    if buttons_for is not None and payload is not None:
        payload = {**payload, "buttons": buttons_for(row_id)}
        await session.execute(update(Delivery).where(Delivery.id == row_id).values(payload=payload))
    if values["status"] == "pending":
        session.info[DUE_CHANGED] = True
    return int(row_id)


class Options(TypedDict, total=False):
    """enqueue's keyword options beyond who, what and when, for helpers that pass them on."""

    buttons: Buttons | None
    buttons_for: Callable[[int], Buttons] | None
    keyboard: Keyboard | None
    due_at: datetime | None
    grace: timedelta
    ritual_id: int | None
    occurrence_at: datetime | None
    status: str
    silent: bool
    photo: str | None
    render: dict[str, Any] | None
    priority: Priority
    media: dict[str, Any] | None


async def tell_partner(
    session: AsyncSession,
    person: Person,
    partner: Person,
    *,
    key: str,
    kind: str,
    text: str,
    now: datetime,
    **options: Unpack[Options],
) -> int | None:
    """Queue `text` for `person`'s partner on `person`'s behalf, as enqueue does: tied to their
    couple, and from `person` — it counts toward their hourly relay share, waits out the
    partner's pause, and if it cannot arrive `person` is told (bot/delivery/sender.py)."""
    return await enqueue(
        session,
        key=key,
        recipient=partner,
        kind=kind,
        text=text,
        now=now,
        couple_id=person.couple_id,
        sender_id=person.id,
        **options,
    )


async def tapped(
    session: AsyncSession, person: Person, delivery_id: int, kind: str | frozenset[str]
) -> Person | None:
    """For a button on row `delivery_id`: the person's partner, if that row is a `kind` message
    (or of one of the kinds) sent to `person` in the couple they are in now — else None (the
    button is not theirs, or no longer means anything)."""
    kinds = frozenset({kind}) if isinstance(kind, str) else kind
    row = await session.get(Delivery, delivery_id)
    if (
        row is None
        or row.kind not in kinds
        or row.recipient_id != person.id
        or row.couple_id is None
        or row.couple_id != person.couple_id
    ):
        return None
    return await partner_of(session, person)


async def tell_partner_once(
    session: AsyncSession,
    person: Person,
    delivery_id: int,
    *,
    tapped_kind: str | frozenset[str],
    key_prefix: str,
    kind: str,
    text: str,
    now: datetime,
    **options: Unpack[Options],
) -> str | Refusal:
    """A one-tap answer on row `delivery_id`, a `tapped_kind` message sent to `person`: their
    partner hears `text`, once (the key names the tapped row). Returns the partner's name;
    STALE if the row is not such a message in the couple `person` is in now, ALREADY_ANSWERED
    on a second tap."""
    partner = await tapped(session, person, delivery_id, tapped_kind)
    if partner is None:
        return Refusal.STALE
    sent = await tell_partner(
        session,
        person,
        partner,
        key=f"{key_prefix}:{delivery_id}",
        kind=kind,
        text=text,
        now=now,
        **options,
    )
    return partner.first_name if sent else Refusal.ALREADY_ANSWERED
