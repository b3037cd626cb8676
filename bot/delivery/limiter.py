"""PTB's AIORateLimiter (Telegram's overall budget; RetryAfter waits and retries), plus a few
retries with backoff for network failures that certainly did not reach Telegram — for every
Bot API call, including direct replies that do not go through the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import NetworkError
from telegram.ext import AIORateLimiter

from bot.delivery.errors import Failure, classify

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]


class ResilientRateLimiter(AIORateLimiter):
    def __init__(
        self,
        *,
        network_retries: int = 3,
        backoff_seconds: float = 0.5,
        overall_max_rate: float = 30,
        max_retries: int = 3,
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._network_retries = network_retries
        self._backoff = backoff_seconds

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        attempt = 0
        while True:
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except NetworkError as exc:
                # getUpdates has its own retry loop in the Updater, getMe the one at start-up.
                if (
                    endpoint in ("getUpdates", "getMe")
                    or attempt >= self._network_retries
                    or classify(exc) is not Failure.RETRY
                ):
                    raise
                delay = self._backoff * 2**attempt
                log.info("%s failed (%s); retrying in %.1fs", endpoint, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                attempt += 1
