"""Settings a couple agrees to together — the safe word and balance. One partner proposes, the
other agrees or declines with one tap; until then the setting does nothing. Either partner may
turn an agreed setting off alone (consent can be withdrawn), and the other is told.

The safe word and balance modules give the words and values; this module keeps the pattern."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import callbacks, texts
from bot.db.models import Agreement, Person
from bot.services import outbox
from bot.services.common import Refusal
from bot.services.people import partner_of

SAFEWORD, BALANCE = "safeword", "balance"
PROPOSED, AGREED = "proposed", "agreed"


AGREED_VALUE = select(Agreement.value).where(
    Agreement.couple_id == bindparam("couple_id"),
    Agreement.kind == bindparam("kind"),
    Agreement.status == AGREED,
)


async def agreed_value(session: AsyncSession, couple_id: int | None, kind: str) -> str | None:
    if couple_id is None:
        return None
    return await session.scalar(AGREED_VALUE, agreed_params(couple_id, kind))


def agreed_params(couple_id: int, kind: str) -> dict[str, Any]:
    return {"couple_id": couple_id, "kind": kind}


@dataclass(frozen=True)
class Proposed:
    partner_name: str
    value: str


async def propose(
    session: AsyncSession,
    person: Person,
    kind: str,
    value: str,
    now: datetime,
    request_text: Callable[[str, str], str],
) -> Proposed | Refusal:
    """Ask the partner to agree to `value`; a newer proposal replaces an open one. Returns
    DUPLICATE when `value` is already what the couple agreed."""
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    if await agreed_value(session, person.couple_id, kind) == value:
        return Refusal.DUPLICATE
    await session.execute(
        delete(Agreement).where(
            Agreement.couple_id == person.couple_id,
            Agreement.kind == kind,
            Agreement.status == PROPOSED,
        )
    )
    proposal = Agreement(
        couple_id=person.couple_id,
        kind=kind,
        value=value,
        proposed_by_id=person.id,
        status=PROPOSED,
        created_at=now,
    )
    session.add(proposal)
    await session.flush()
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=f"agreement:{proposal.id}",
        kind="agreement",
        text=request_text(person.first_name, value),
        buttons=[
            [
                (texts.AGREE_BUTTON, callbacks.pack(callbacks.AGREEMENT, "a", proposal.id)),
                (texts.DECLINE_BUTTON, callbacks.pack(callbacks.AGREEMENT, "d", proposal.id)),
            ]
        ],
        now=now,
    )
    return Proposed(partner.first_name, value)


@dataclass(frozen=True)
class Answered:
    kind: str
    value: str
    agreed: bool


async def answer(
    session: AsyncSession,
    person: Person,
    agreement_id: int,
    agree: bool,
    now: datetime,
    told: Callable[[str, str, str, bool], str],
) -> Answered | Refusal:
    """The partner's tap. Only the other partner of the couple, while the proposal is open;
    `told(kind, name, value, agreed)` is what the proposer hears."""
    proposal = await session.get(Agreement, agreement_id, with_for_update=True)
    if (
        proposal is None
        or person.couple_id is None
        or proposal.couple_id != person.couple_id
        or proposal.proposed_by_id == person.id
    ):
        return Refusal.STALE
    if proposal.status != PROPOSED:
        return Refusal.ALREADY_ANSWERED
    proposer = await session.get(Person, proposal.proposed_by_id)
    if proposer is None or proposer.couple_id != person.couple_id:
        return Refusal.STALE
    kind, value = proposal.kind, proposal.value
    if agree:
        await session.execute(
            delete(Agreement).where(
                Agreement.couple_id == person.couple_id,
                Agreement.kind == kind,
                Agreement.status == AGREED,
            )
        )
        await session.flush()
        proposal.status = AGREED
        proposal.agreed_at = now
    else:
        await session.delete(proposal)
    await outbox.tell_partner(
        session,
        person,
        proposer,
        key=f"agreement-answer:{agreement_id}",
        kind="agreement",
        text=told(kind, person.first_name, value, agree),
        now=now,
    )
    return Answered(kind, value, agree)


async def withdraw(
    session: AsyncSession, person: Person, kind: str, now: datetime, notice: str
) -> bool | Refusal:
    """Turn an agreed setting off (and drop an open proposal). False if there was none."""
    partner = await partner_of(session, person)
    if partner is None or person.couple_id is None:
        return Refusal.NOT_PAIRED
    removed = await session.execute(
        delete(Agreement).where(Agreement.couple_id == person.couple_id, Agreement.kind == kind)
    )
    if not getattr(removed, "rowcount", 0):
        return False
    await outbox.tell_partner(
        session,
        person,
        partner,
        key=outbox.unique_key(f"agreement-off:{kind}"),
        kind="agreement",
        text=notice,
        now=now,
    )
    return True
