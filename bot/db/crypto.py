"""Encryption at rest for sensitive free text (phrases, notes, journal, triggers, check-in
words, and messages waiting in the outbox), with Fernet, when DATA_KEY is set.

Values are stored as "fernet:<token>"; anything without the prefix is plain text from before a
key was set, read as it is (and encrypted by `python -m bot rotate-key`). Older keys listed in
DATA_KEY_PREVIOUS still decrypt, so a key can be rotated without downtime."""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import JSON, Dialect, Text
from sqlalchemy.types import TypeDecorator

PREFIX = "fernet:"


class UnreadableText(Exception):
    """Stored text is encrypted and no configured key opens it."""


class _Keys:
    cipher: MultiFernet | None = None


def configure(current: str | None, previous: list[str] | None = None) -> None:
    """Set the process's keys (at start-up, from settings). Raises ValueError for a malformed
    key."""
    if not current:
        _Keys.cipher = None
        return
    _Keys.cipher = MultiFernet([Fernet(k.encode()) for k in [current, *(previous or [])]])


def encrypt(text: str) -> str:
    if _Keys.cipher is None:
        return text
    return PREFIX + _Keys.cipher.encrypt(text.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored
    if _Keys.cipher is None:
        raise UnreadableText("encrypted text, but DATA_KEY is not set")
    try:
        return _Keys.cipher.decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise UnreadableText("encrypted text that DATA_KEY does not open") from exc


class SecretText(TypeDecorator[str]):
    """Text, encrypted at rest when a key is configured."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(value)


class SecretJSON(TypeDecorator[dict[str, Any]]):
    """A JSON object, stored as {"fernet": "<token>"} when a key is configured."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: dict[str, Any] | None, dialect: Dialect) -> Any:
        if value is None or _Keys.cipher is None:
            return value
        return {"fernet": encrypt(json.dumps(value))}

    def process_result_value(self, value: Any, dialect: Dialect) -> dict[str, Any] | None:
        if isinstance(value, dict) and set(value) == {"fernet"}:
            loaded: dict[str, Any] = json.loads(decrypt(value["fernet"]))
            return loaded
        return value  # type: ignore[no-any-return]
