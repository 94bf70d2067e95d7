"""Redis killed, or hung, while signed DRAWs keep coming: PostgreSQL alone keeps the rules."""

from __future__ import annotations

import asyncio
import time

import redis.asyncio as aioredis

from db.redis_store import SafeRedis, create_redis
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


async def test_after_the_pause_one_call_probes_a_hung_redis_and_the_others_fall_back_at_once(
    redis: PrivateRedis,
) -> None:
    client = create_redis(redis.url)
    probes: list[bool] = []
    safe = SafeRedis(client, prefix="ldfault:", pause_seconds=0.2, on_probe=probes.append)
    attempts = 0
    finished: list[str] = []  # the order calls returned in

    async def ping(r: aioredis.Redis) -> str:
        nonlocal attempts
        attempts += 1
        return "redis" if await r.ping() else "no"

    async def call(name: str) -> str:
        answer = await safe.run(ping, "fallback")
        finished.append(name)
        return answer

    try:
        assert await call("warm-up") == "redis"
        redis.pause()
        assert await call("first") == "fallback"  # its timeout opens the circuit
        await asyncio.sleep(0.3)  # the pause is over: half-open
        attempts, finished = 0, []
        answers = await asyncio.gather(*(call(f"c{i}") for i in range(20)))
        assert answers == ["fallback"] * 20
        assert attempts == 1, "only the probe may wait on the hung Redis"
        assert finished[-1] == "c0"  # the others returned while the probe was still waiting
        assert probes == [False]
        assert await call("after") == "fallback"
        assert attempts == 1

        redis.resume()
        await asyncio.sleep(0.3)
        attempts = 0
        answers = await asyncio.gather(*(call(f"d{i}") for i in range(20)))
        assert answers == ["redis"] + ["fallback"] * 19
        assert attempts == 1
        assert probes == [False, True]
        assert await call("closed") == "redis"
        assert attempts == 2
    finally:
        redis.resume()
        await client.aclose()
