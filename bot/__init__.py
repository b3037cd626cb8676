"""Steady — a Telegram bot that helps two partners keep small, reliable rituals."""
