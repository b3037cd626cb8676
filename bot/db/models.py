"""The tables. Couples, phrases and every outgoing delivery live here: the database is the single
source of truth; the scheduler only decides *when* to look at it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime
from bot.db.crypto import SecretJSON, SecretText

# Ids that buttons carry must never be reused after a row is deleted, or an old button could
# act on a new couple; SQLite only guarantees that with AUTOINCREMENT.
NO_ID_REUSE = {"sqlite_autoincrement": True}


class Person(Base):
    """Someone who has talked to the bot. `couple_id` makes "at most one couple" structural."""

    __tablename__ = "people"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(String(64))
    couple_id: Mapped[int | None] = mapped_column(
        ForeignKey("couples.id", ondelete="SET NULL"), index=True
    )
    # A typed reply the person has been asked for ("the next text you send"), e.g. rewording a
    # phrase or writing back; `awaiting_ref` names the row it is about.
    awaiting: Mapped[str | None] = mapped_column(String(24))
    awaiting_ref: Mapped[int | None] = mapped_column(BigInteger)
    awaiting_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # IANA name; rituals for this person wait until it is set.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Daily quiet hours as minutes after local midnight; the window may wrap midnight.
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    # Telegram refused to deliver to them (blocked the bot, chat gone): their rituals wait.
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Taking a moment (safe word / pause): while now < paused_until, rituals and the partner's
    # messages to them wait. Kept here, beside the quiet hours, because every send checks it.
    paused_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Declared availability: shown to the partner, with a reason; never blocks agreed words.
    busy_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    busy_reason: Mapped[str | None] = mapped_column(String(120))
    # Time apart: away until this local date (the return day); date reminders wait.
    away_until: Mapped[date | None] = mapped_column(Date)
    away_note: Mapped[str | None] = mapped_column(String(200))
    # Invite codes tried in the current hour (guessing codes is slow by design).
    join_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    join_window_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Couple(Base):
    __tablename__ = "couples"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The couple's clock: the IANA zone joint rituals (date, talk, question, digest, review)
    # follow, so they happen at one instant for both. NULL until the first joint ritual.
    timezone: Mapped[str | None] = mapped_column(String(64))
    # When a date is announced ahead: "eve" (the day before, at its time) or "morning" (09:00
    # on the day, on the couple's clock).
    date_ahead: Mapped[str] = mapped_column(String(8), default="eve", server_default="eve")


class Invite(Base):
    """A single-use pairing invite. Only the SHA-256 of its token is stored."""

    __tablename__ = "invites"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Phrase(Base):
    """Words that reassure the receiver, which the giver says. Relayed only when `agreed`.

    status: `proposed` (receiver asked, giver to answer), `offered` (giver offered, receiver to
    accept), `agreed` (live)."""

    __tablename__ = "phrases"
    __table_args__ = (
        Index("ix_phrases_direction", "couple_id", "receiver_id", "status"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    giver_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(SecretText)
    status: Mapped[str] = mapped_column(String(16))
    reworded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A recording by the giver (bot/services/voice.py): "voice" or "video_note", Telegram's
    # file_id for it and its length. Nothing else of it is kept; `text` is then its label.
    media_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    media_file_id: Mapped[str | None] = mapped_column(SecretText, default=None)
    media_seconds: Mapped[int | None] = mapped_column(Integer, default=None)


class ReassuranceRequest(Base):
    """One tap on "💛 Reassure me": who asked, which words went out."""

    __tablename__ = "reassurance_requests"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    partner_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    phrase_id: Mapped[int | None] = mapped_column(ForeignKey("phrases.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Ritual(Base):
    """A recurring moment of a couple: `kind` is nudge, checkin, date, talk or question;
    `minutes` is the local time of day, `days` a bit mask (Monday = bit 0). A nudge has a giver,
    who is prompted on their own clock; a check-in comes to each at that time in their own zone;
    the joint kinds (date, talk, question, the hidden digest) come to both at one instant, on the
    couple's clock (Couple.timezone)."""

    __tablename__ = "rituals"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    giver_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    minutes: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Slot:
    """When something recurring next happens for one person (a ritual, a date's reminder): the
    dispatcher turns a slot due by now into outbox rows and moves it on
    (bot/services/slots.py). `next_due_at` is NULL while it waits."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class RitualSlot(Slot, Base):
    """When a ritual next happens for one recipient, in the zone it follows (theirs, or for a
    joint ritual the couple's clock): the engine's single source of truth. `next_due_at` is NULL while it waits (paused, no zone yet, unreachable)."""

    __tablename__ = "ritual_slots"
    __table_args__ = (UniqueConstraint("ritual_id", "person_id"), NO_ID_REUSE)

    ritual_id: Mapped[int] = mapped_column(ForeignKey("rituals.id", ondelete="CASCADE"))
    zone: Mapped[str | None] = mapped_column(String(64))


class QuickNote(Base):
    """A giver's own short "thinking of you" note, offered with one tap at nudge time."""

    __tablename__ = "quick_notes"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(SecretText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Letter(Base):
    """A note written in advance (/note), delivered at the giver's next nudge time. It is
    waiting while it has no delivery, or its delivery was skipped or failed."""

    __tablename__ = "letters"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(SecretText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    # A voice message instead of typed words (bot/services/voice.py); `text` is then its label.
    media_kind: Mapped[str | None] = mapped_column(String(16), default=None)
    media_file_id: Mapped[str | None] = mapped_column(SecretText, default=None)
    media_seconds: Mapped[int | None] = mapped_column(Integer, default=None)


class CheckIn(Base):
    """An answer to "How are you feeling?" (1–5), shared with the partner."""

    __tablename__ = "checkins"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), unique=True
    )
    mood: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(SecretText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Delivery(Base):
    """The outbox: every message sent on someone's behalf or on a schedule is a row here first.

    `dedupe_key` is unique, so writing the same occurrence twice is a no-op. status moves
    pending → sending → sent, or back to pending (retry), or to failed / skipped / uncertain.
    `sending` is committed immediately before the HTTP call; a row found in `sending` after a
    crash may have reached Telegram, so it is never sent again (see docs/delivery.md)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "due_at"),
        # How much one person had relayed lately (the relay limit).
        Index("ix_deliveries_sender_time", "sender_id", "created_at"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    couple_id: Mapped[int | None] = mapped_column(
        ForeignKey("couples.id", ondelete="CASCADE"), index=True
    )
    recipient_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    # Who goes first when several rows are due (bot/delivery/limiter.py: Priority): the agreed
    # words before anything else.
    priority: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    # Set for a ritual's occurrence: it waits out quiet hours rather than arriving silently, and
    # goes if the ritual is deleted.
    ritual_id: Mapped[int | None] = mapped_column(
        ForeignKey("rituals.id", ondelete="CASCADE"), index=True
    )
    occurrence_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # What to send: {"text": …, "buttons": [[[label, data], …], …]}; cleared once sent, so
    # intimate words do not linger in the outbox.
    payload: Mapped[dict[str, Any] | None] = mapped_column(SecretJSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Agreement(Base):
    """Something both partners agree to before it does anything: `safeword` (value: the word)
    or `balance` (value: "<requests>/<minutes>", or "off"). status: `proposed` or `agreed`; a
    couple has at most one of each kind in each status (a new proposal replaces the older)."""

    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("couple_id", "kind", "status"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Pause(Base):
    """One "I need a moment": from `started_at` to `ends_at` (moved by an extension, or to the
    moment of /resume). Its return prompts are outbox rows due at `ends_at`."""

    __tablename__ = "pauses"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class JournalEntry(Base):
    """A moment of connection both partners see: words, and optionally a photo (Telegram's
    file_id, never the bytes). kind: `moment` or `appreciation`."""

    __tablename__ = "journal_entries"
    __table_args__ = (
        Index("ix_journal_entries_couple_time", "couple_id", "created_at"),
        NO_ID_REUSE,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(SecretText)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Trigger(Base):
    """A moment that set off a fear, in the person's own log: private unless they share it or
    bring it to the couple's talk. status: `draft` (being described), `private`, `shared`,
    `talk` (waiting for the next talk; `brought_up_at` once it was)."""

    __tablename__ = "triggers"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    couple_id: Mapped[int | None] = mapped_column(
        ForeignKey("couples.id", ondelete="SET NULL"), index=True
    )
    what: Mapped[str] = mapped_column(SecretText)
    feeling: Mapped[str | None] = mapped_column(String(64))
    need: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    brought_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# The dispatcher wakes at the earliest end of a pause (bot/services/pause.py: NEXT_END).
Index("ix_people_paused_until", Person.paused_until)


class QuestionRound(Base):
    """One occurrence of a couple's `question` ritual: which of texts.QUESTIONS was asked, at
    which instant (the same for both). Open for answers until the next round of the ritual;
    `revealed_at` is set once both answered and both answers went to both."""

    __tablename__ = "question_rounds"
    __table_args__ = (UniqueConstraint("ritual_id", "asked_at"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    ritual_id: Mapped[int] = mapped_column(ForeignKey("rituals.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class QuestionAnswer(Base):
    """One partner's private answer to a round, shown to the other only once both answered."""

    __tablename__ = "question_answers"
    __table_args__ = (UniqueConstraint("round_id", "person_id"), NO_ID_REUSE)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("question_rounds.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(SecretText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Draft(Base):
    """Words typed just after the partner's, waiting for "Send this to Sam?": sent as the
    person's own or kept (then deleted, either way). One per person: a newer one replaces it."""

    __tablename__ = "drafts"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), unique=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(SecretText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImportantDate(Base):
    """A date that matters to the couple, every year: `anniversary` (one per couple), `birthday`
    (`person_id`: whose — one each) or `other` (named by the couple). `year` is optional (the
    year it began, or of birth); a 29 February falls on 28 February in other years."""

    __tablename__ = "important_dates"
    __table_args__ = NO_ID_REUSE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    couple_id: Mapped[int] = mapped_column(ForeignKey("couples.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    name: Mapped[str | None] = mapped_column(SecretText)
    month: Mapped[int] = mapped_column(SmallInteger)
    day: Mapped[int] = mapped_column(SmallInteger)
    year: Mapped[int | None] = mapped_column(Integer)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DateSlot(Slot, Base):
    """When one partner is next reminded of a date (a week, then a day ahead, at REMIND_AT on
    their own clock): like a ritual slot, the dispatcher turns it into an outbox row when due
    and moves it on (bot/services/dates.py)."""

    __tablename__ = "date_slots"
    __table_args__ = (UniqueConstraint("date_id", "person_id"), NO_ID_REUSE)

    date_id: Mapped[int] = mapped_column(ForeignKey("important_dates.id", ondelete="CASCADE"))
