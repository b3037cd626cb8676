"""Recordings as agreed words: a voice message or a video note the giver recorded. Nothing of
a recording is kept but Telegram's file_id and its length; it is sent again by that id (Telegram
keeps the file), so nothing is downloaded. Telegram-free: handlers turn a message into a
`Recording`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot import texts
from bot.db.models import Letter, Phrase

VOICE, VIDEO_NOTE = "voice", "video_note"
KINDS = (VOICE, VIDEO_NOTE)


@dataclass(frozen=True)
class Recording:
    kind: str  # VOICE or VIDEO_NOTE
    file_id: str
    seconds: int

    @property
    def label(self) -> str:
        return texts.recording_label(self.kind, self.seconds)


@dataclass(frozen=True)
class TooLongRecording:
    seconds: int


@dataclass(frozen=True)
class EmptyRecording:
    pass


def check(recording: Recording) -> Recording | TooLongRecording | EmptyRecording:
    if recording.kind not in KINDS or not recording.file_id or recording.seconds <= 0:
        return EmptyRecording()
    if recording.seconds > texts.RECORDING_MAX_SECONDS:
        return TooLongRecording(recording.seconds)
    return recording


def of_phrase(phrase: Phrase) -> Recording | None:
    if phrase.media_kind is None or phrase.media_file_id is None:
        return None
    return Recording(phrase.media_kind, phrase.media_file_id, phrase.media_seconds or 0)


def of_letter(letter: Letter) -> Recording | None:
    if letter.media_kind is None or letter.media_file_id is None:
        return None
    return Recording(letter.media_kind, letter.media_file_id, letter.media_seconds or 0)


def media(recording: Recording | None) -> dict[str, Any] | None:
    """The outbox payload's `media` (bot/delivery/sender.py sends it by file_id)."""
    if recording is None:
        return None
    return {"kind": recording.kind, "file_id": recording.file_id}
