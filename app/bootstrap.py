"""The composition root: build pool, Redis, stores and services inside one context."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from app.settings import Settings
from core.ports import Clock, RandomSource, SystemRandomSource
from core.services.campaigns import CampaignService
from core.services.draws import DrawService, SpamGuard
from core.services.people import CustomerService, StaffService
from core.services.redemptions import RedemptionService
from db import embedded
from db.campaigns import CachedCampaignStore
from db.draws import PgDrawStore, PgRedemptionStore
from db.migrate import migrate
from db.people import PgCustomerStore, PgStaffStore
from db.pool import create_pool
from db.redis_store import RedisDrawGate, RedisRateLimiter, SafeRedis, create_redis

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


@asynccontextmanager
async def build_services(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    random: RandomSource | None = None,
    apply_migrations: bool = False,
) -> AsyncIterator[Services]:
    async with AsyncExitStack() as stack:
        database_url, redis_url = await _urls(settings, stack)
        pool = await create_pool(
            database_url,
            max_size=settings.pool_max_size,
            command_timeout=settings.db_command_timeout,
        )
        stack.push_async_callback(pool.close)
        if apply_migrations:
            applied = await migrate(pool)
            if applied:
                log.info("migrated", applied=applied)
        client = create_redis(redis_url)
        stack.push_async_callback(client.aclose)
        redis = SafeRedis(client, prefix=settings.redis_prefix)
        campaign_store = CachedCampaignStore(pool, redis)
        limiter = RedisRateLimiter(redis)
        staff_store = PgStaffStore(pool)
        yield Services(
            settings=settings,
            pool=pool,
            redis=redis,
            clock=clock,
            campaigns=CampaignService(campaign_store, clock),
            draws=DrawService(
                campaign_store,
                PgDrawStore(pool),
                RedisDrawGate(redis),
                clock,
                random or SystemRandomSource(),
            ),
            spam=SpamGuard(limiter),
            redemptions=RedemptionService(staff_store, PgRedemptionStore(pool), limiter, clock),
            customers=CustomerService(PgCustomerStore(pool), clock),
            staff=StaffService(staff_store, clock),
        )


async def _urls(settings: Settings, stack: AsyncExitStack) -> tuple[str, str]:
    """The configured servers, or embedded ones (never in production) for what is unset."""
    database_url, redis_url = settings.database_url, settings.redis_url
    if database_url is None:
        log.warning("embedded_postgres", warning="DATABASE_URL unset: local use only")
        server = await asyncio.to_thread(embedded.start_postgres, settings.data_dir.resolve())
        stack.callback(server.stop)
        database_url = server.url
    if redis_url is None:
        log.warning("embedded_redis", warning="REDIS_URL unset: local use only")
        redis_server = await asyncio.to_thread(embedded.start_redis, settings.data_dir.resolve())
        stack.callback(redis_server.stop)
        redis_url = redis_server.url
    return database_url, redis_url
