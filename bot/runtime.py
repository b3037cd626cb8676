"""What handlers and jobs share for the life of the process: PTB makes one `Runtime` as the
application's `bot_data` (ContextTypes, PTB's documented way to type it), and `build_application`
fills it in before the first update. Handlers and jobs reach it as `context.bot_data`."""

from __future__ import annotations

import os
import random
import socket
import uuid
from typing import Any

from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.delivery.journal import Journal
from bot.delivery.limiter import Outbox
from bot.metrics import Metrics
from bot.updates import PerPersonUpdateProcessor
from jobs.breathing import Breathing
from jobs.dispatcher import Dispatcher
from jobs.leader import Leadership
from jobs.upkeep import Upkeep


def node_id() -> str:
    """Names this process in outbox claims (hostname:pid:random)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    dispatcher: Dispatcher
    delivery_bot: ExtBot[Outbox]  # the outbox's own bot, with the delivery journal's transport
    journal: Journal
    leadership: Leadership
    breathing: Breathing
    upkeep: Upkeep
    updates: PerPersonUpdateProcessor

    def __init__(self) -> None:
        self.node = node_id()
        self.rng = random.Random()
        self.metrics = Metrics()
        self.bot_username = ""

    def wake_dispatcher(self) -> None:
        self.dispatcher.wake()


class Context(CallbackContext[ExtBot[Outbox], dict[Any, Any], dict[Any, Any], Runtime]):
    """What every handler and job is given; `bot_data` is the Runtime."""


CONTEXT_TYPES = ContextTypes(context=Context, bot_data=Runtime)
