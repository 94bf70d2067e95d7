"""Configuration from environment variables (and `.env`), named as in PRODUCT.md."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# What Telegram accepts as a webhook secret_token (Bot API, setWebhook).
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


# Outside local use the admin API's bearer token must be hard to guess: compose publishes
# the port. Placeholders are what examples and tutorials suggest.
MIN_ADMIN_TOKEN = 32
PLACEHOLDERS = ("change-me", "changeme", "change_me", "placeholder", "example", "your-token")


# A claim outlives the send-slot horizon (a claim reserves slots up to 10 s ahead) plus the
# slowest send, or a slow instance's message would be claimed again while still in flight.
# A Telegram send may take its 10 s timeout twice around a Retry-After wait of up to 5 s
# (bot/client.py); an SMS send, TWILIO_TIMEOUT_SECONDS.
SEND_HORIZON_SECONDS = 10.0
TELEGRAM_SEND_SECONDS = 25.0


class ConfigurationError(ValueError):
    """A setting the service refuses to start with; the message is one sentence for the operator."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str | None = None  # unset: embedded PostgreSQL (local use only)
    redis_url: str | None = None  # unset: embedded Redis (local use only)
    redis_prefix: str = "ld:"
    data_dir: Path = Path(".data")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Unset: this server's own address (local use), so links in replies follow PORT.
    public_base_url: str = ""
    default_region: str = Field(default="US", min_length=2, max_length=2)
    admin_token: SecretStr | None = None
    log_format: Literal["json", "console"] = "console"
    log_level: str = "info"

    sms_backend: Literal["twilio", "console"] = "console"
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    twilio_timeout_seconds: float = 10.0
    # Empty: DEFAULT_REGION's country. NoDecode: "HK,US" (and QUIET_HOURS' "21:00-09:00")
    # reach the validators below as written; pydantic-settings would try JSON and refuse them.
    sms_allowed_countries: Annotated[list[str], NoDecode] = Field(default_factory=list)
    sms_rate_per_second: float = 1.0

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base: str = "https://api.telegram.org"
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_rate_per_second: float = 25.0

    quiet_hours: Annotated[tuple[time, time], NoDecode] = (time(21, 0), time(9, 0))
    outbox_max_attempts: int = Field(default=6, ge=1)  # then the message is dead
    outbox_retry_seconds: float = Field(default=30.0, gt=0)  # first backoff; doubles per try
    # At least the longest a claimed message may take to go out (check_serving).
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    scheduler: bool = True  # SCHEDULER=false: this instance serves HTTP only
    pool_max_size: int = Field(default=20, ge=1)
    db_command_timeout: float = Field(default=5.0, gt=0)
    # Longest wait for a free database connection; then "busy" (503, or the SMS apology).
    db_acquire_timeout: float = Field(default=5.0, gt=0)
    # 0 behind PgBouncer < 1.21 in transaction pooling mode (no prepared statements there).
    db_statement_cache_size: int = Field(default=100, ge=0)
    # Group commit (db/draw_batch.py): draws per database call at most (1: every draw alone),
    # and draw calls at once per process; draws arriving while they are all busy are batched.
    draw_batch_max: int = Field(default=32, ge=1, le=60)
    draw_batch_calls: int = Field(default=1, ge=1)
    # One deadline per webhook, covering the wait for a connection and every query: then the
    # apology, and PostgreSQL commits nothing of it. Well under Twilio's 15 s.
    webhook_deadline_seconds: float = Field(default=8.0, gt=1, le=14)
    # On SIGTERM: /readyz answers 503 and requests are still answered (each closing its
    # connection) this long, so load balancers move away before the listener closes.
    shutdown_grace_seconds: float = Field(default=5.0, ge=0)

    @model_validator(mode="after")
    def _own_address_by_default(self) -> Settings:
        if not self.public_base_url:
            self.public_base_url = f"http://{self.host}:{self.port}"
        return self

    @field_validator("default_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        return value.upper()

    @field_validator("sms_allowed_countries", mode="before")
    @classmethod
    def _split_countries(cls, value: object) -> object:
        if isinstance(value, str):
            return [c.strip().upper() for c in value.split(",") if c.strip()]
        return value

    @field_validator("quiet_hours", mode="before")
    @classmethod
    def _parse_quiet_hours(cls, value: object) -> object:
        if isinstance(value, str):  # "21:00-09:00"
            start, _, end = value.partition("-")
            return (time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))
        return value

    @property
    def allowed_countries(self) -> frozenset[str]:
        return frozenset(self.sms_allowed_countries or [self.default_region])

    @property
    def shortest_lease(self) -> float:
        telegram = TELEGRAM_SEND_SECONDS if self.telegram_bot_token is not None else 0.0
        return SEND_HORIZON_SECONDS + max(self.twilio_timeout_seconds, telegram)

    @property
    def embedded(self) -> bool:
        return self.database_url is None or self.redis_url is None

    def webhook_secret(self) -> str:
        """TELEGRAM_WEBHOOK_SECRET, refused when empty or not what Telegram can send back:
        an empty secret would match a request with no secret header at all."""
        secret = self.telegram_webhook_secret
        value = secret.get_secret_value() if secret is not None else ""
        if not WEBHOOK_SECRET.fullmatch(value):
            raise ConfigurationError(
                "TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET: 1-256 characters of "
                "A-Z a-z 0-9 _ - (for example the output of `openssl rand -hex 32`)."
            )
        return value

    def check_serving(self) -> None:
        """Refuse, before anything starts, settings that would leave a door open."""
        if self.outbox_lease_seconds < self.shortest_lease:
            raise ConfigurationError(
                f"OUTBOX_LEASE_SECONDS must be at least {self.shortest_lease:g}: a claim must "
                "outlive the send-slot horizon (10 s) plus the slowest send's timeout."
            )
        if self.telegram_bot_token is not None and self.telegram_mode == "webhook":
            self.webhook_secret()
        if self.admin_token is not None and not self.embedded:
            token = self.admin_token.get_secret_value()
            if len(token) < MIN_ADMIN_TOKEN or any(p in token.lower() for p in PLACEHOLDERS):
                raise ConfigurationError(
                    f"ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN} random characters and not "
                    "a placeholder (for example the output of `openssl rand -hex 32`)."
                )
