"""`python -m bot [run|migrate|rotate-key|stats]` — run the bot (the default), only apply
migrations, re-encrypt stored text with the current DATA_KEY, or print how the bot is doing.

Exit codes: 0 done, 1 could not start (network, database), 2 configuration to fix (token)."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from bot import logs, texts
from bot.app import StartupError, safe_url, serve
from bot.config import ConfigError, Settings
from bot.db import Database, migrate, rotate
from bot.services import stats

EXIT_CONFIG = 2


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{str(error['loc'][0]).upper()}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise ConfigError(texts.settings_to_fix(problems)) from None


async def _run(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(settings, stop=stop)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Steady, the couples bot.")
    parser.add_argument(
        "command", nargs="?", default="run", choices=["run", "migrate", "rotate-key", "stats"]
    )
    args = parser.parse_args(argv)

    token: str | None = None
    try:
        settings = _settings()
        token = (
            settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else None
        )
        logs.configure(settings.log_level, logs.token_secrets(token), settings.log_format)
        settings.configure_encryption()
        if args.command == "rotate-key":
            if settings.data_key is None:
                raise ConfigError(texts.ROTATE_NEEDS_KEY)
            print(texts.rotated(asyncio.run(_rotate(settings))))
            return 0
        if args.command == "stats":
            print(asyncio.run(_stats(settings)))
            return 0
        if args.command == "migrate":
            try:
                asyncio.run(migrate.upgrade(settings.database_url))
            except (SQLAlchemyError, OSError) as exc:
                url = safe_url(settings.database_url)
                raise StartupError(texts.database_unreachable(url, type(exc).__name__), 1) from exc
            print(texts.DATABASE_UP_TO_DATE)
            return 0
        settings.require_token()
        settings.require_webhook_secret()
        asyncio.run(_run(settings))
        return 0
    except ConfigError as exc:
        print(_redact(str(exc), token), file=sys.stderr)
        return EXIT_CONFIG
    except StartupError as exc:
        print(_redact(str(exc), token), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 0


async def _stats(settings: Settings) -> str:
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            found = await stats.gather(session, datetime.now(UTC))
    except (SQLAlchemyError, OSError) as exc:
        url = safe_url(settings.database_url)
        raise StartupError(texts.database_unreachable(url, type(exc).__name__), 1) from exc
    finally:
        await db.dispose()
    return texts.stats_report(found.couples, found.people, found.rituals, found.deliveries)


async def _rotate(settings: Settings) -> int:
    await migrate.upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        return await rotate.rotate(db)
    finally:
        await db.dispose()


def _redact(text: str, token: str | None) -> str:
    for secret in logs.token_secrets(token):
        text = text.replace(secret, logs.REDACTED)
    return text


if __name__ == "__main__":
    sys.exit(main())
