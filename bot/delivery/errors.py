"""What a failed Bot API call means for the message: retry, wait, give up, or don't know."""

from __future__ import annotations

import warnings
from datetime import timedelta
from enum import Enum

import httpx
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut


class Failure(Enum):
    RETRY = "retry"  # certainly not delivered; try again after a backoff
    RATE_LIMITED = "rate_limited"  # 429: wait `retry_after`, then try again
    AMBIGUOUS = "ambiguous"  # may have been delivered; never resent (no duplicates)
    UNREACHABLE = "unreachable"  # blocked, chat gone: no point retrying
    REJECTED = "rejected"  # Telegram refused this message itself


# Failures before the request was complete: Telegram cannot have acted on it. A server that
# closes a kept-alive connection without answering (RemoteProtocolError) did not read it either.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.WriteTimeout,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)
_GONE = ("chat not found", "user is deactivated", "peer_id_invalid", "bot was kicked")


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, RetryAfter):
        return Failure.RATE_LIMITED
    if isinstance(exc, Forbidden):
        return Failure.UNREACHABLE
    if isinstance(exc, BadRequest):
        text = exc.message.lower()
        return Failure.UNREACHABLE if any(g in text for g in _GONE) else Failure.REJECTED
    if isinstance(exc, TimedOut):
        # A read timeout means the request went out whole; Telegram may well have sent it.
        return Failure.RETRY if isinstance(exc.__cause__, _NOT_SENT) else Failure.AMBIGUOUS
    if isinstance(exc, NetworkError):
        cause = exc.__cause__
        if cause is None or isinstance(cause, _NOT_SENT):
            # No cause: Telegram answered with an error status (5xx) — it did not send.
            return Failure.RETRY
        return Failure.AMBIGUOUS
    if isinstance(exc, TelegramError):
        return Failure.REJECTED
    return Failure.AMBIGUOUS


def retry_after(exc: RetryAfter) -> timedelta:
    """`RetryAfter.retry_after` is an int or a timedelta depending on PTB's deprecation setting."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value if isinstance(value, timedelta) else timedelta(seconds=value)
