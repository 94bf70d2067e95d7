"""The composition root's shared part: the core container, built inside one context.

`open_core` builds what every entry point needs: the pool, Redis and the use cases. Each
entry point then adds only what it serves: `luckydraw serve` opens the channels
(`app/channels.py`), the HTTP app (`app/server.py`) and the outbox jobs
(`app/outbox_wiring.py`); `luckydraw chat` adds the SMS conversation; the other commands add
nothing. Only `serve`, `migrate` and the commands that write apply migrations.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog

from app.metrics import Metrics
from app.settings import Settings
from app.telemetry import AppTelemetry
from core.ports import (
    CampaignStore,
    Clock,
    RandomSource,
    SmsStore,
    SystemRandomSource,
    Telemetry,
)
from core.rules import Entry
from core.services.campaigns import CampaignService
from core.services.draws import DrawService, SpamGuard
from core.services.outbox import OutboxService
from core.services.people import CustomerService, StaffService
from core.services.proofs import ProofService
from core.services.redemptions import RedemptionService
from core.services.rules import RulesService
from db.audit import PgAuditStore
from db.campaigns import CachedCampaignStore
from db.draws import PgDrawStore, PgRedemptionStore
from db.migrate import migrate
from db.outbox import PgOutboxStore
from db.people import PgCustomerStore, PgStaffStore
from db.pool import create_pool
from db.proofs import PgDrawSecrets, PgProofStore
from db.redis_store import (
    RedisDrawGate,
    RedisRateLimiter,
    RedisTelegramLinks,
    SafeRedis,
    create_redis,
)
from db.rules import PgRulesStore
from db.sms import PgSmsStore

log = structlog.get_logger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Core:
    """Pool, Redis and the use cases: what every entry point shares."""

    pool: asyncpg.Pool
    redis: SafeRedis
    clock: Clock
    random: RandomSource
    metrics: Metrics  # the process's registry, served at /metrics
    telemetry: Telemetry  # log line + metrics per draw, redemption and send
    campaign_store: CampaignStore  # cached open campaigns, shared by the use cases
    campaigns: CampaignService
    draws: DrawService
    draw_gate: RedisDrawGate  # remembers draws written behind: `flushed()` waits for them
    spam: SpamGuard
    redemptions: RedemptionService
    customers: CustomerService
    staff: StaffService
    sms_store: SmsStore  # who texted us: the webhook records it, the SMS guard reads it
    outbox: OutboxService  # queueing and stats; sending is the dispatcher's (outbox_wiring)
    rules: RulesService  # official rules: a version per change, documents, the public link
    proofs: ProofService  # verifiable draws: commitments, the daily reveal (ticked), proofs


@asynccontextmanager
async def open_core(
    settings: Settings,
    *,
    clock: Clock = utc_now,
    random: RandomSource | None = None,
    apply_migrations: bool = False,
) -> AsyncIterator[Core]:
    async with AsyncExitStack() as stack:
        if settings.embedded:
            from app.devservers import embedded_servers  # local use only: never in production

            settings = await asyncio.to_thread(stack.enter_context, embedded_servers(settings))
        assert settings.database_url is not None
        assert settings.redis_url is not None
        pool = await create_pool(
            settings.database_url,
            max_size=settings.pool_max_size,
            command_timeout=settings.db_command_timeout,
            acquire_timeout=settings.db_acquire_timeout,
            statement_cache_size=settings.db_statement_cache_size,
        )
        stack.push_async_callback(pool.close)
        if apply_migrations:
            applied = await migrate(pool)
            if applied:
                log.info("migrated", applied=applied)
        client = create_redis(settings.redis_url)
        stack.push_async_callback(client.aclose)
        metrics = Metrics()
        redis = SafeRedis(
            client,
            prefix=settings.redis_prefix,
            on_fallback=metrics.redis_fallbacks.inc,
            on_probe=lambda ok: metrics.redis_probes.labels("closed" if ok else "failed").inc(),
        )
        core = _core(settings, pool, redis, metrics, clock, random or SystemRandomSource())
        stack.push_async_callback(core.draw_gate.flushed)  # before the Redis client closes
        yield core


def _core(
    settings: Settings,
    pool: asyncpg.Pool,
    redis: SafeRedis,
    metrics: Metrics,
    clock: Clock,
    random: RandomSource,
) -> Core:
    campaign_store = CachedCampaignStore(pool, redis)
    limiter = RedisRateLimiter(redis)
    staff_store = PgStaffStore(pool)
    telemetry = AppTelemetry(metrics)
    gate = RedisDrawGate(redis)
    rules = RulesService(
        PgRulesStore(pool), campaign_store, clock, settings.public_base_url, _rules_entry(settings)
    )
    draw_secrets = PgDrawSecrets(pool)
    proofs = ProofService(
        campaign_store, PgProofStore(pool), draw_secrets, clock, settings.public_base_url
    )
    rules.add_section(proofs.rules_section)
    return Core(
        pool=pool,
        redis=redis,
        clock=clock,
        random=random,
        metrics=metrics,
        telemetry=telemetry,
        campaign_store=campaign_store,
        campaigns=CampaignService(campaign_store, clock, PgAuditStore(pool)),
        draws=DrawService(
            campaign_store,
            PgDrawStore(
                pool,
                settings.db_command_timeout,
                max_batch=settings.draw_batch_max,
                max_calls=settings.draw_batch_calls,
                on_resent=lambda sqlstate: metrics.draws_resent.labels(sqlstate).inc(),
            ),
            gate,
            clock,
            random,
            draw_secrets,
            telemetry,
        ),
        draw_gate=gate,
        spam=SpamGuard(limiter),
        redemptions=RedemptionService(
            staff_store, PgRedemptionStore(pool), limiter, clock, telemetry=telemetry
        ),
        customers=CustomerService(PgCustomerStore(pool), clock, gate, RedisTelegramLinks(redis)),
        staff=StaffService(staff_store, clock),
        sms_store=PgSmsStore(pool),
        outbox=OutboxService(PgOutboxStore(pool), campaign_store, clock, settings.quiet_hours),
        rules=rules,
        proofs=proofs,
    )


def _rules_entry(settings: Settings) -> Entry:
    """How the rules say to enter: TWILIO_FROM when it is a number (not a messaging service)."""
    number = settings.twilio_from if (settings.twilio_from or "").startswith("+") else None
    return Entry(sms_number=number, telegram=settings.telegram_bot_token is not None)
