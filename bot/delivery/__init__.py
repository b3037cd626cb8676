"""The one delivery path: every message sent on someone's behalf or on a schedule goes from the
outbox (bot/services/outbox.py) through `Sender`, paced by jobs/dispatcher.py."""
