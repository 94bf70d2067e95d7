"""The operator console, built from the services; "Try it" speaks through the SMS conversation."""

from __future__ import annotations

import secrets

from aiohttp import web
from pydantic import SecretStr

from app.bootstrap import Core
from app.settings import Settings
from app.sms_wiring import sms_conversation
from console import ConsoleDeps, add_console
from core.model import Channel
from core.services.audit import AuditService
from db.audit import PgAuditStore
from db.people import PgCustomerStore
from db.redis_store import RedisRateLimiter


def add_operator_console(app: web.Application, settings: Settings, core: Core) -> None:
    # Like `luckydraw chat`: answered as SMS, never texted back (the number may not be real).
    conversation = sms_conversation(core, Channel.CHAT)
    token = settings.admin_token
    add_console(
        app,
        ConsoleDeps(
            campaigns=core.campaigns,
            customers=core.customers,
            staff=core.staff,
            audit=AuditService(PgAuditStore(core.pool), PgCustomerStore(core.pool), core.clock),
            limiter=RedisRateLimiter(core.redis),
            chat=conversation.reply,
            admin_token=token.get_secret_value() if token else None,
            secure_cookies=settings.public_base_url.startswith("https://"),
            default_region=settings.default_region,
            clock=core.clock,
            telemetry=core.telemetry,
        ),
    )


def with_local_token(settings: Settings) -> tuple[Settings, str | None]:
    """For local use (embedded servers) without ADMIN_TOKEN: a random token for this run, and
    the console link that signs in with it (printed like Jupyter's). Otherwise unchanged."""
    if settings.admin_token is not None or not settings.embedded:
        return settings, None
    token = secrets.token_urlsafe(24)
    link = f"http://{settings.host}:{settings.port}/console/signin?token={token}"
    return settings.model_copy(update={"admin_token": SecretStr(token)}), link
