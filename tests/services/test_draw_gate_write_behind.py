"""Remembered draws are written behind: queued, sent together, and they never grant a draw."""

from __future__ import annotations

import asyncio
from datetime import date

from app.bootstrap import Core
from core.errors import AlreadyDrewToday
from core.model import Channel, DrawResult
from db.redis_store import RedisDrawGate
from tests.helpers import spec, sure_win

DAY = date(2026, 12, 10)  # the fixture clock's day in the campaign's zone


async def test_concurrent_draws_are_all_remembered_once_flushed(services: Core) -> None:
    campaign = await services.campaigns.create(spec(sure_win(total=100, daily=100)))
    phones = [f"+8529250{i:04d}" for i in range(40)]
    await asyncio.gather(*(services.draws.draw(p, Channel.SMS) for p in phones))
    await services.draw_gate.flushed()
    for phone in phones:
        assert await services.draw_gate.recall(campaign.id, phone, DAY) is not None


async def test_a_repeat_before_its_draw_is_remembered_is_refused_by_postgresql(
    services: Core,
) -> None:
    await services.campaigns.create(spec(sure_win(total=100, daily=100)))
    results = await asyncio.gather(
        *(services.draws.draw("+85292510000", Channel.SMS) for _ in range(8)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, DrawResult)]
    refused = [r for r in results if isinstance(r, AlreadyDrewToday)]
    assert len(won) == 1
    assert len(refused) == 7
    assert all(r.today is not None and r.today.code == won[0].code for r in refused)
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 1


async def test_a_full_queue_drops_its_oldest_entry_and_counts_it(services: Core) -> None:
    campaign = await services.campaigns.create(spec(sure_win()))
    result = await services.draws.draw("+85292520000", Channel.SMS)
    gate = RedisDrawGate(services.redis, max_pending=2)
    before = services.redis.fallbacks
    phones = ["+85292520001", "+85292520002", "+85292520003"]
    for phone in phones:  # nothing here yields to the loop: the flusher has not run yet
        await gate.remember(phone, DAY, None, result, result.next_draw_at)
    assert services.redis.fallbacks == before + 1
    await gate.flushed()
    assert await gate.recall(campaign.id, phones[0], DAY) is None
    assert await gate.recall(campaign.id, phones[1], DAY) is not None
    assert await gate.recall(campaign.id, phones[2], DAY) is not None


async def test_forgetting_a_phone_drops_its_queued_remember(services: Core) -> None:
    campaign = await services.campaigns.create(spec(sure_win()))
    result = await services.draws.draw("+85292530000", Channel.SMS)
    await services.draw_gate.flushed()
    gate = services.draw_gate
    await gate.remember("+85292530001", DAY, None, result, result.next_draw_at)
    await gate.forget("+85292530001")  # a language change right after the draw
    await gate.flushed()
    assert await gate.recall(campaign.id, "+85292530001", DAY) is None
