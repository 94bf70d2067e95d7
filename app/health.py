"""What the service reads about its own state: GET /readyz, and the gauges of GET /metrics that
come from PostgreSQL and Redis at scrape time (readiness, prize quotas, dead messages).

These gauges are read fresh at each scrape rather than kept in prometheus-client's value store:
every worker and instance would read the same rows, and a prize that is no longer open simply
drops out of the next scrape instead of lingering with its last value.
"""

from __future__ import annotations

import asyncio

import structlog
from prometheus_client.core import GaugeMetricFamily, Metric

from app.bootstrap import Core
from core.model import OutboxStatus
from db.migrate import pending

log = structlog.get_logger(__name__)

READY_TIMEOUT = 2.0  # seconds per readiness check: a hung server is "not ready", not a hung probe


async def readiness(core: Core) -> dict[str, str]:
    """Each check's result: "ok", or why not (PostgreSQL, a current schema, Redis)."""
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            missing = await pending(core.pool)
        checks["postgres"] = "ok"
        checks["migrations"] = "ok" if not missing else f"pending: {', '.join(missing)}"
    except Exception as exc:  # whatever the failure, the answer is "not ready"
        checks["postgres"] = f"unavailable: {type(exc).__name__}"
    checks["redis"] = "ok" if await core.redis.ping() else "unavailable"
    return checks


async def state_metrics(core: Core) -> list[Metric]:
    """The scrape-time gauges. Without PostgreSQL only readiness is reported (as failing)."""
    checks = await readiness(core)
    ready = GaugeMetricFamily(
        "luckydraw_ready",
        "1 when the readiness check passes, else 0 (as GET /readyz), by check",
        labels=["check"],
    )
    for check in ("postgres", "migrations", "redis"):
        ready.add_metric([check], 1.0 if checks.get(check) == "ok" else 0.0)
    if checks["postgres"] != "ok":
        return [ready]
    try:
        async with asyncio.timeout(READY_TIMEOUT * 2):
            quotas = await _quota_families(core)
            stats = await core.outbox.stats()
    except Exception as exc:  # a scrape still answers; the log says what is missing
        log.warning("scrape_state_failed", error=repr(exc))
        return [ready]
    dead = GaugeMetricFamily(
        "luckydraw_outbox_dead",
        "Messages given up after their last attempt (`luckydraw outbox retry-dead` revives them)",
        value=sum(c.count for c in stats.counts if c.status is OutboxStatus.DEAD),
    )
    return [ready, *quotas, dead]


async def _quota_families(core: Core) -> list[Metric]:
    """Quota and coupons issued per prize of every open campaign, today and in total."""
    labels = ["campaign_id", "campaign", "prize", "period"]
    quota = GaugeMetricFamily(
        "luckydraw_prize_quota",
        "A prize's quota: period=day (today, campaign-local) or total",
        labels=labels,
    )
    issued = GaugeMetricFamily(
        "luckydraw_prize_issued",
        "Coupons a prize has issued: period=day (today, campaign-local) or total",
        labels=labels,
    )
    now = core.clock()
    for campaign in await core.campaigns.list():
        if not campaign.is_open(now):
            continue
        stats = await core.campaigns.stats(campaign.id)
        for prize in stats.prizes:
            for period, limit, used in (
                ("day", prize.daily_quota, prize.issued_today),
                ("total", prize.total_quota, prize.issued),
            ):
                key = [str(campaign.id), campaign.keyword, prize.name, period]
                quota.add_metric(key, float(limit))
                issued.add_metric(key, float(used))
    return [quota, issued]
