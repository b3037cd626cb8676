"""The project's local Telegram Bot API emulator (used by the tests and by `make demo`)."""

from tests.faketelegram.faults import Fault, FaultPlan
from tests.faketelegram.server import FakeTelegram, Message, StrictLimits
from tests.faketelegram.users import Answer, FakeUser

__all__ = ["Answer", "FakeTelegram", "FakeUser", "Fault", "FaultPlan", "Message", "StrictLimits"]
