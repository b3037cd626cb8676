"""Pairing: single-use invites, redemption that is safe under concurrency, and unpairing."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.callbacks import Buttons
from bot.db.models import Couple, Invite, Person
from bot.services import limits, outbox, rituals
from bot.services.common import Refusal
from bot.services.people import clear_awaiting, partner_of

INVITE_TTL = timedelta(hours=24)
TOKEN_BYTES = 16  # 128 bits → 22 URL-safe characters
# What secrets.token_urlsafe produces, and what Telegram allows in a deep-link payload.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class NewInvite:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class AlreadyPaired:
    partner_name: str


async def create_invite(
    session: AsyncSession, person: Person, now: datetime
) -> NewInvite | AlreadyPaired:
    """A fresh invite for `person`; any older open invite of theirs stops working."""
    partner = await partner_of(session, person)
    if partner is not None:
        return AlreadyPaired(partner.first_name)
    await _revoke_open_invites(session, person.id, now)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        Invite(
            inviter_id=person.id,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + INVITE_TTL,
        )
    )
    return NewInvite(token=token, expires_at=now + INVITE_TTL)


async def _revoke_open_invites(session: AsyncSession, person_id: int, now: datetime) -> None:
    await session.execute(
        update(Invite)
        .where(
            Invite.inviter_id == person_id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )


class Redeem(Enum):
    PAIRED = "paired"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    OWN = "own"
    EXPIRED = "expired"
    USED = "used"
    REPLACED = "replaced"
    YOU_ARE_PAIRED = "you_are_paired"
    INVITER_PAIRED = "inviter_paired"
    LIMITED = "limited"  # too many codes tried this hour


@dataclass(frozen=True)
class Redeemed:
    outcome: Redeem
    other_name: str = ""  # the partner (PAIRED, YOU_ARE_PAIRED) or the inviter (INVITER_PAIRED)
    until: datetime | None = None  # LIMITED: when another code may be tried


async def redeem(session: AsyncSession, person: Person, token: str, now: datetime) -> Redeemed:
    """Pair `person` with the invite's owner, or say exactly why not (changing nothing but the
    count of codes they tried: at most JOINS_PER_HOUR that don't pair them, per hour; a
    malformed code is not a guess and does not count)."""
    blocked = limits.join_blocked(person, now)
    if blocked is not None:
        return Redeemed(Redeem.LIMITED, until=blocked)
    result = await _redeem(session, person, token, now)
    if result.outcome not in (Redeem.PAIRED, Redeem.MALFORMED):
        limits.count_join(person, now)
    return result


async def _redeem(session: AsyncSession, person: Person, token: str, now: datetime) -> Redeemed:
    """Pair `person` with the invite's owner, or say exactly why not (and change nothing).

    Concurrency: the invite row and both people are locked (FOR UPDATE on PostgreSQL; SQLite
    transactions begin IMMEDIATE and so run one at a time), then re-read, so two people
    redeeming one invite at once cannot both succeed, and nobody ends up in two couples."""
    token = token.strip()
    if not TOKEN_SHAPE.match(token):
        return Redeemed(Redeem.MALFORMED)
    digest = hash_token(token)
    found = await session.scalar(select(Invite).where(Invite.token_hash == digest))
    # The index lookup already matched; compare again in constant time so that no code path
    # branches on a partial match of secret material.
    if found is None or not hmac.compare_digest(found.token_hash, digest):
        return Redeemed(Redeem.UNKNOWN)
    if found.inviter_id == person.id:
        return Redeemed(Redeem.OWN)
    # Lock order, everywhere: people by id, then the invite. Two people opening each other's
    # links at once then queue instead of deadlocking.
    locked = {
        p.id: p
        for p in await session.scalars(
            select(Person)
            .where(Person.id.in_([found.inviter_id, person.id]))
            .order_by(Person.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    invite = await session.scalar(
        select(Invite)
        .where(Invite.id == found.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if invite is None or invite.inviter_id not in locked:
        return Redeemed(Redeem.UNKNOWN)
    me, inviter = locked[person.id], locked[invite.inviter_id]
    if me.couple_id is not None:
        partner = await partner_of(session, me)
        return Redeemed(Redeem.YOU_ARE_PAIRED, partner.first_name if partner else "")
    if invite.used_at is not None:
        return Redeemed(Redeem.USED)
    if inviter.couple_id is not None:  # they paired with someone else meanwhile
        return Redeemed(Redeem.INVITER_PAIRED, inviter.first_name)
    if invite.revoked_at is not None:
        return Redeemed(Redeem.REPLACED)
    if invite.expires_at <= now:
        return Redeemed(Redeem.EXPIRED)

    invite.used_at = now
    invite.used_by_id = me.id
    couple = Couple(created_at=now)
    session.add(couple)
    await session.flush()
    for partner in (me, inviter):
        partner.couple_id = couple.id
        clear_awaiting(partner)
        await _revoke_open_invites(session, partner.id, now)
    # A guided first minute, through the outbox so each chat gets them in this order: the
    # confirmation with the next step, then the time zone question; the starter rituals once
    # the zone is set (bot/services/timezones.py), or next if it already is.
    for partner, other in ((me, inviter), (inviter, me)):
        await outbox.enqueue(
            session,
            key=f"paired:{couple.id}:{partner.id}",
            recipient=partner,
            kind="paired",
            text=texts.paired(other.first_name, zone_next=partner.timezone is None),
            keyboard="paired",
            couple_id=couple.id,
            now=now,
        )
    for partner in (me, inviter):
        await _next_step(session, partner, couple.id, now)
    await rituals.ensure_digest(session, me, now)
    return Redeemed(Redeem.PAIRED, inviter.first_name)


async def _next_step(session: AsyncSession, person: Person, couple_id: int, now: datetime) -> None:
    """After pairing: if the person has not said where they are, the time zone question
    (rituals wait for it, and the starter set follows it); otherwise the starter set."""
    if person.timezone is not None:
        await suggest_rituals(session, person, couple_id, now)
        return
    await outbox.enqueue(
        session,
        key=f"ask-zone:{couple_id}:{person.id}",
        recipient=person,
        kind="ask_zone",
        text=texts.TIMEZONE_ASK,
        buttons=zone_buttons(texts.COMMON_ZONES),
        couple_id=couple_id,
        now=now,
    )


async def suggest_rituals(
    session: AsyncSession, person: Person, couple_id: int, now: datetime
) -> None:
    """A starter set of rituals, one tap each: once per couple (the key says so)."""
    await outbox.enqueue(
        session,
        key=f"starter:{couple_id}:{person.id}",
        recipient=person,
        kind="starter",
        text=texts.STARTER_INTRO,
        buttons=rituals.starter_buttons(couple_id),
        couple_id=couple_id,
        now=now,
    )


def zone_buttons(zones: list[str]) -> Buttons:
    return [
        [(z, callbacks.pack_zone(z)) for z in zones[i : i + 2]] for i in range(0, len(zones), 2)
    ]


@dataclass(frozen=True)
class UnpairPrompt:
    couple_id: int
    partner_name: str


async def unpair_prompt(session: AsyncSession, person: Person) -> UnpairPrompt | Refusal:
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    return UnpairPrompt(person.couple_id, partner.first_name)


async def unpair(
    session: AsyncSession,
    person: Person,
    couple_id: int,
    now: datetime,
    notice: str | None = None,
) -> Refusal | None:
    """End the couple named by a "Yes, unpair" button — only if it is still the presser's own.
    The couple's phrases, requests and unsent messages go with it (ON DELETE CASCADE), so from
    here on nothing reaches either partner on the other's behalf."""
    # Lock both partners (in id order) and look again: if the other partner unpaired a moment
    # ago, this press finds nothing to do.
    members = list(
        await session.scalars(
            select(Person)
            .where(Person.couple_id == couple_id)
            .order_by(Person.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    )
    if person.id not in {m.id for m in members}:
        return Refusal.STALE
    partner = next((m for m in members if m.id != person.id), None)
    for member in members:
        member.couple_id = None
        clear_awaiting(member)
        # A pause, busy or time apart was said to this partner; it ends with the couple.
        member.paused_until = member.busy_until = None
        member.busy_reason = member.away_note = None
        member.away_until = None
    await session.flush()
    await session.execute(delete(Couple).where(Couple.id == couple_id))
    if partner is not None:
        await outbox.enqueue(
            session,
            key=f"unpaired:{couple_id}:{partner.id}",
            recipient=partner,
            kind="unpaired",
            text=notice or texts.partner_unpaired(person.first_name),
            keyboard="remove",
            now=now,
        )
    return None
