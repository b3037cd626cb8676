"""Settings, read once from the environment and `.env` (pydantic-settings)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from bot import texts
from bot.db import crypto

OFFICIAL_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/steady.db"

# "<bot id>:<secret>" as BotFather hands it out; checked before any network call.
_TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{20,100}$")
# Telegram allows 1-256; fewer than 16 would be guessable.
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,256}$")


def _address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one sentence meant for the person running
    the bot, and never contains a secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    telegram_api_base_url: str = OFFICIAL_API_BASE_URL
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Messages per second to Telegram, for the whole bot (Telegram's limit is about 30); 0 turns
    # the overall limit off, e.g. for a self-hosted Bot API server.
    telegram_rate_limit: float = Field(default=30, ge=0)
    # Seconds to wait for Telegram's answer to a request. A request that times out may have
    # been sent, so a message is then never resent (docs/delivery.md).
    telegram_read_timeout: float = Field(default=15, gt=0, le=120)
    # Fernet key (Fernet.generate_key()) to encrypt sensitive free text at rest; keys in
    # DATA_KEY_PREVIOUS (comma-separated) still decrypt, for `python -m bot rotate-key`.
    data_key: SecretStr | None = None
    data_key_previous: SecretStr | None = None
    # Seconds of each step of /breathe (in, hold, out, hold). Box breathing is 4; tests go faster.
    breathe_seconds: float = Field(default=4, gt=0, le=10)
    # Where each process notes which claimed messages have left it, so that after a crash the
    # ones that never left are sent (bot/delivery/journal.py). A local directory; by default
    # `journal/` beside the SQLite file, or `data/journal`.
    delivery_journal_dir: Path | None = None
    # Webhook mode (instead of polling) when WEBHOOK_URL is set: the public HTTPS address
    # Telegram posts updates to (a reverse proxy forwards it to WEBHOOK_LISTEN), and the secret
    # Telegram sends back in every request's X-Telegram-Bot-Api-Secret-Token header.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1:8080"
    # host:port for /metrics (Prometheus) and /healthz (readiness); unset: not served.
    metrics_listen: str | None = None
    # Logs as readable lines ("text") or one JSON object per line ("json").
    log_format: Literal["text", "json"] = "text"

    @field_validator(
        "telegram_bot_token",
        "data_key",
        "data_key_previous",
        "delivery_journal_dir",
        "webhook_url",
        "webhook_secret",
        "metrics_listen",
        mode="before",
    )
    @classmethod
    def _blank_token_is_missing(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _log_case(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        return value.strip().upper() if info.field_name == "log_level" else value.strip().lower()

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        value = value.strip()
        # Accept the spellings people paste from hosting dashboards and pick the async driver.
        for plain in ("postgres://", "postgresql://"):
            if value.startswith(plain):
                return "postgresql+asyncpg://" + value[len(plain) :]
        if value.startswith("sqlite://") and not value.startswith("sqlite+aiosqlite://"):
            return "sqlite+aiosqlite://" + value[len("sqlite://") :]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(texts.DATABASE_URL_BAD)
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError(texts.WEBHOOK_URL_BAD)
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters, A-Z a-z 0-9 _ -.
        if value is not None and not _SECRET_SHAPE.match(value.get_secret_value()):
            raise ValueError(texts.WEBHOOK_SECRET_BAD)
        return value

    @field_validator("webhook_listen", "metrics_listen")
    @classmethod
    def _listen(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, _, port = value.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(texts.LISTEN_BAD)
        return value.strip()

    @property
    def listen_address(self) -> tuple[str, int]:
        return _address(self.webhook_listen)

    @property
    def metrics_address(self) -> tuple[str, int] | None:
        return _address(self.metrics_listen) if self.metrics_listen else None

    def require_webhook_secret(self) -> str | None:
        """In webhook mode, the secret (a webhook anyone could post to is refused)."""
        if self.webhook_url is None:
            return None
        if self.webhook_secret is None:
            raise ConfigError(texts.WEBHOOK_SECRET_NEEDED)
        return self.webhook_secret.get_secret_value()

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        value = value.strip()
        if not value.startswith(("http://", "https://")):
            raise ValueError(texts.API_BASE_URL_BAD)
        return value

    @property
    def telegram_api_file_url(self) -> str:
        """The file endpoint that goes with the API base URL (…/bot → …/file/bot)."""
        base = self.telegram_api_base_url
        if base.endswith("/bot"):
            return base[: -len("bot")] + "file/bot"
        return base.rstrip("/") + "/file/bot"

    @property
    def journal_dir(self) -> Path:
        if self.delivery_journal_dir is not None:
            return self.delivery_journal_dir
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).parent / "journal"
        return Path("data/journal")

    def configure_encryption(self) -> None:
        """Hand the data keys to the database layer; a malformed key is a ConfigError."""
        previous = self.data_key_previous.get_secret_value() if self.data_key_previous else ""
        try:
            crypto.configure(
                self.data_key.get_secret_value() if self.data_key else None,
                [k.strip() for k in previous.split(",") if k.strip()],
            )
        except (ValueError, TypeError) as exc:
            raise ConfigError(texts.BAD_DATA_KEY) from exc

    def require_token(self) -> str:
        """The bot token, or a ConfigError that says how to get one."""
        if self.telegram_bot_token is None:
            raise ConfigError(texts.NO_TOKEN)
        token = self.telegram_bot_token.get_secret_value()
        if not _TOKEN_SHAPE.match(token):
            raise ConfigError(texts.MALFORMED_TOKEN)
        return token
