"""Steady — a Telegram bot that helps two partners keep small, reliable rituals."""

import os

# Opt in to python-telegram-bot's coming behaviour (time periods as timedelta) now, so the code
# is written against it and no deprecation warnings fire at run time.
os.environ.setdefault("PTB_TIMEDELTA", "1")
