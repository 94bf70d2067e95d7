"""The composition root: build pool, Redis, stores and services inside one context."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import asyncpg
import structlog

from app.metrics import Metrics
from app.outbox_wiring import Outbox, build_outbox
from app.settings import Settings
from app.telemetry import AppTelemetry
from core.model import Channel
from core.ports import Clock, RandomSource, Sender, SmsStore, SystemRandomSource
from core.services.campaigns import CampaignService
from core.services.draws import DrawService, SpamGuard
from core.services.people import CustomerService, StaffService
from core.services.redemptions import RedemptionService
from db import embedded
from db.audit import PgAuditStore
from db.campaigns import CachedCampaignStore
from db.draws import PgDrawStore, PgRedemptionStore
from db.migrate import migrate
from db.people import PgCustomerStore, PgStaffStore
from db.pool import create_pool
from db.redis_store import RedisDrawGate, RedisRateLimiter, SafeRedis, create_redis
from db.sms import PgSmsStore
from sms.sender import TwilioConfig, open_sms_sender

if TYPE_CHECKING:
    from aiogram import Bot

log = structlog.get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    pool: asyncpg.Pool
    redis: SafeRedis
    clock: Clock
    campaigns: CampaignService
    draws: DrawService
    spam: SpamGuard
    redemptions: RedemptionService
    customers: CustomerService
    staff: StaffService
    sms_store: SmsStore
    sms_sender: Sender  # SMS_BACKEND, behind the anti-pumping guard
    metrics: Metrics
    telemetry: AppTelemetry  # log line + metrics per draw, redemption and send
    telegram_bot: Bot | None  # TELEGRAM_BOT_TOKEN set: the webhook/polling and sender's bot
    telegram_sender: Sender | None
    outbox: Outbox  # queueing, reminders, dispatcher (ticked by app/scheduler.py)


@asynccontextmanager
async def build_services(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    random: RandomSource | None = None,
    apply_migrations: bool = False,
) -> AsyncIterator[Services]:
    async with AsyncExitStack() as stack:
        if settings.embedded:
            settings = await asyncio.to_thread(stack.enter_context, embedded_servers(settings))
        assert settings.database_url is not None
        assert settings.redis_url is not None
        database_url, redis_url = settings.database_url, settings.redis_url
        pool = await create_pool(
            database_url,
            max_size=settings.pool_max_size,
            command_timeout=settings.db_command_timeout,
            statement_cache_size=settings.db_statement_cache_size,
        )
        stack.push_async_callback(pool.close)
        if apply_migrations:
            applied = await migrate(pool)
            if applied:
                log.info("migrated", applied=applied)
        client = create_redis(redis_url)
        stack.push_async_callback(client.aclose)
        metrics = Metrics()
        redis = SafeRedis(
            client, prefix=settings.redis_prefix, on_fallback=metrics.redis_fallbacks.inc
        )
        campaign_store = CachedCampaignStore(pool, redis)
        limiter = RedisRateLimiter(redis)
        staff_store = PgStaffStore(pool)
        telemetry = AppTelemetry(metrics)
        gate = RedisDrawGate(redis)
        customers = CustomerService(PgCustomerStore(pool), clock, gate)
        sms_store = PgSmsStore(pool)
        sms_sender = await stack.enter_async_context(
            open_sms_sender(
                _twilio_config(settings), sms_store, customers, settings.allowed_countries
            )
        )
        telegram_bot, telegram_sender = await _telegram(settings, stack, customers)
        senders: dict[Channel, Sender] = {Channel.SMS: sms_sender}
        if telegram_sender is not None:
            senders[Channel.TELEGRAM] = telegram_sender
        yield Services(
            settings=settings,
            pool=pool,
            redis=redis,
            clock=clock,
            campaigns=CampaignService(campaign_store, clock, PgAuditStore(pool)),
            draws=DrawService(
                campaign_store,
                PgDrawStore(pool, settings.db_command_timeout),
                gate,
                clock,
                random or SystemRandomSource(),
                telemetry,
            ),
            spam=SpamGuard(limiter),
            redemptions=RedemptionService(
                staff_store, PgRedemptionStore(pool), limiter, clock, telemetry=telemetry
            ),
            customers=customers,
            staff=StaffService(staff_store, clock),
            sms_store=sms_store,
            sms_sender=sms_sender,
            metrics=metrics,
            telemetry=telemetry,
            telegram_bot=telegram_bot,
            telegram_sender=telegram_sender,
            outbox=build_outbox(
                settings,
                pool,
                campaign_store,
                clock,
                random or SystemRandomSource(),
                senders,
                telemetry,
            ),
        )


@contextmanager
def embedded_servers(settings: Settings) -> Iterator[Settings]:
    """`settings` with embedded servers (never in production) for the URLs left unset."""
    with ExitStack() as stack:
        urls = {}
        if settings.database_url is None:
            log.warning("embedded_postgres", warning="DATABASE_URL unset: local use only")
            postgres = embedded.start_postgres(settings.data_dir.resolve())
            if not postgres.reused:  # a server another process started is its to stop
                stack.callback(postgres.stop)
            urls["database_url"] = postgres.url
        if settings.redis_url is None:
            log.warning("embedded_redis", warning="REDIS_URL unset: local use only")
            redis_server = embedded.start_redis(settings.data_dir.resolve())
            if not redis_server.reused:
                stack.callback(redis_server.stop)
            urls["redis_url"] = redis_server.url
        yield settings.model_copy(update=urls)


def _twilio_config(settings: Settings) -> TwilioConfig | None:
    """Twilio when SMS_BACKEND=twilio and its credentials are set; else the console."""
    token = settings.twilio_auth_token
    if (
        settings.sms_backend != "twilio"
        or not settings.twilio_account_sid
        or token is None
        or not settings.twilio_from
    ):
        return None
    return TwilioConfig(
        account_sid=settings.twilio_account_sid,
        auth_token=token.get_secret_value(),
        sender=settings.twilio_from,
        status_callback_url=settings.public_base_url.rstrip("/") + "/sms/status",
        api_base=settings.twilio_api_base,
        timeout_seconds=settings.twilio_timeout_seconds,
    )


async def _telegram(
    settings: Settings, stack: AsyncExitStack, customers: CustomerService
) -> tuple[Bot | None, Sender | None]:
    """The bot and its sender, when TELEGRAM_BOT_TOKEN is set; the session closes with the stack.

    aiogram is imported only then: it alone adds ~125 MB to every process that loads it.
    """
    if settings.telegram_bot_token is None:
        return None, None
    from bot.client import open_bot
    from bot.sender import TelegramSender

    bot = await stack.enter_async_context(
        open_bot(settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base)
    )
    return bot, TelegramSender(bot, customers)
