"""The database: typed SQLAlchemy 2 models, one engine, short transactions."""

from bot.db.engine import Database

__all__ = ["Database"]
