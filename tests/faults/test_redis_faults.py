"""Redis killed, or hung, while signed DRAWs keep coming: PostgreSQL alone keeps the rules."""

from __future__ import annotations

import asyncio
import time

from tests.faults.checks import broken_invariants
from tests.faults.conftest import campaign, fault_settings, report, running_app
from tests.faults.load import DrawLoad
from tests.faults.servers import PrivatePostgres, PrivateRedis


async def test_redis_killed_and_restarted_costs_nothing(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis
) -> None:
    async with running_app(fault_settings(database_url, redis.url)) as app:
        await app.services.campaigns.create(campaign())
        load = DrawLoad(app.base_url, concurrency=8)
        await load.start()
        await asyncio.sleep(0.5)
        await asyncio.to_thread(redis.kill)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(redis.start)
        back = time.monotonic()
        await asyncio.sleep(1.0)
        outcomes = await load.stop()
        kinds = load.kinds()
        report("redis SIGKILLed, restarted", kinds, load.recovery_seconds(back))
        assert set(kinds) <= {"won", "lost"}, kinds
        assert await broken_invariants(app.services.pool, outcomes) == []


async def test_redis_hung_costs_nothing_but_time(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis
) -> None:
    async with running_app(fault_settings(database_url, redis.url)) as app:
        await app.services.campaigns.create(campaign())
        load = DrawLoad(app.base_url, concurrency=8)
        await load.start()
        await asyncio.sleep(0.5)
        redis.pause()
        await asyncio.sleep(1.5)
        redis.resume()
        back = time.monotonic()
        await asyncio.sleep(1.0)
        outcomes = await load.stop()
        kinds = load.kinds()
        report("redis SIGSTOPped 1.5 s", kinds, load.recovery_seconds(back))
        assert set(kinds) <= {"won", "lost"}, kinds
        assert await broken_invariants(app.services.pool, outcomes) == []
