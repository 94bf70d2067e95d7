"""Redis grants nothing: down or hung, draws stay exact through PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import date

import pytest

from app.bootstrap import Core, open_core
from app.settings import Settings
from core.errors import AlreadyDrewToday
from core.model import Channel, DrawResult
from tests.conftest import FakeClock
from tests.helpers import spec, sure_win
from tests.private_redis import PrivateRedis, start_private_redis


async def test_draws_stay_exact_while_redis_is_stopped_and_the_gate_returns_with_it(
    own_services: Core, private_redis: PrivateRedis
) -> None:
    await own_services.campaigns.create(spec(sure_win(total=100, daily=30)))
    await own_services.draws.draw("+85291230000", Channel.SMS)
    private_redis.stop()

    phones = [f"+8529124{i:04d}" for i in range(60)] + ["+85291230000"] * 5
    results = await asyncio.gather(
        *(own_services.draws.draw(p, Channel.SMS) for p in phones), return_exceptions=True
    )
    assert sum(isinstance(r, DrawResult) and r.won for r in results) == 29
    assert sum(isinstance(r, AlreadyDrewToday) for r in results) == 5
    assert not [r for r in results if not isinstance(r, DrawResult | AlreadyDrewToday)]
    assert await own_services.pool.fetchval("SELECT count(*) FROM coupon") == 30
    assert own_services.redis.fallbacks > 0


async def test_a_hung_redis_costs_a_short_timeout_not_a_stuck_draw(
    own_services: Core, private_redis: PrivateRedis
) -> None:
    await own_services.campaigns.create(spec(sure_win()))
    private_redis.pause()
    started = time.monotonic()
    result = await own_services.draws.draw("+85291230001", Channel.SMS)
    assert result.won
    assert time.monotonic() - started < 3  # socket timeouts are 0.25 s, at most one retry


async def test_when_redis_comes_back_repeats_are_answered_from_it_again(
    services: Core, settings: Settings, clock: FakeClock
) -> None:
    server = await asyncio.to_thread(start_private_redis)
    try:
        async with open_core(
            settings.model_copy(update={"redis_url": server.url}), clock=clock
        ) as svc:
            await svc.campaigns.create(spec(sure_win()))
            server.pause()
            await svc.draws.draw("+85291230002", Channel.SMS)  # remembered by PostgreSQL only
            await svc.draw_gate.flushed()  # its remember, written behind, is dropped
            server.resume()
            svc.redis.reset()
            with pytest.raises(AlreadyDrewToday):  # from PostgreSQL, and now remembered in Redis
                await svc.draws.draw("+85291230002", Channel.SMS)
            await svc.draw_gate.flushed()
            keys = await svc.redis.client.keys(svc.redis.key("drew", "*"))
            assert len(keys) == 1
    finally:
        server.resume()
        server.stop()


async def test_a_hung_redis_drops_the_remembered_draws_and_counts_them(
    own_services: Core, private_redis: PrivateRedis
) -> None:
    await own_services.campaigns.create(spec(sure_win()))
    private_redis.pause()
    result = await own_services.draws.draw("+85291230003", Channel.SMS)
    before = own_services.redis.fallbacks
    await own_services.draw_gate.flushed()  # the flusher gives up on its batch, nothing waits
    assert own_services.redis.fallbacks > before
    private_redis.resume()
    own_services.redis.reset()
    with pytest.raises(AlreadyDrewToday) as repeat:  # PostgreSQL still refuses the repeat
        await own_services.draws.draw("+85291230003", Channel.SMS)
    assert repeat.value.today is not None
    assert repeat.value.today.code == result.code


async def test_remembered_draws_land_after_redis_lost_its_scripts(
    own_services: Core, private_redis: PrivateRedis
) -> None:
    campaign = await own_services.campaigns.create(spec(sure_win()))
    await own_services.draws.draw("+85291230004", Channel.SMS)
    await own_services.draw_gate.flushed()
    await own_services.redis.client.script_flush()  # as after a Redis restart
    await own_services.draws.draw("+85291230005", Channel.SMS)
    await own_services.draw_gate.flushed()
    day = date(2026, 12, 10)
    assert await own_services.draw_gate.recall(campaign.id, "+85291230005", day) is not None
    assert own_services.redis.fallbacks == 0
