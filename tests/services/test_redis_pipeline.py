"""Concurrent looks before a draw go to Redis together, each answered as if it went alone."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import date

import redis.asyncio as aioredis

from app.bootstrap import Core
from core.model import Channel
from core.ports import Admission
from tests.helpers import spec, sure_win
from tests.private_redis import PrivateRedis

DAY = date(2026, 12, 10)  # the fixture clock's day in the campaign's zone


async def connections_received(url: str) -> int:
    client = aioredis.Redis.from_url(url)
    try:
        return int((await client.info("stats"))["total_connections_received"])
    finally:
        await client.aclose()


async def test_many_looks_at_once_share_a_connection_and_each_gets_its_own_answer(
    own_services: Core, private_redis: PrivateRedis
) -> None:
    campaign = await own_services.campaigns.create(spec(sure_win(total=100, daily=100)))
    drew = [f"+8529260{i:04d}" for i in range(30)]
    fresh = [f"+8529261{i:04d}" for i in range(30)]
    await asyncio.gather(*(own_services.draws.draw(p, Channel.SMS) for p in drew))
    await own_services.draw_gate.flushed()
    spammer = "+85292620000"
    before = await connections_received(private_redis.url)

    rule = own_services.spam.rule
    looks = [(p, rule(p)) for p in drew + fresh]
    looks += [(spammer, dataclasses.replace(rule(spammer), limit=5))] * 8
    admissions: list[Admission] = await asyncio.gather(
        *(own_services.draw_gate.admit(campaign.id, p, DAY, r) for p, r in looks)
    )

    # Without grouping, each of the 68 looks checked out a connection of its own.
    assert await connections_received(private_redis.url) - before <= 3
    by_phone = dict(zip([p for p, _ in looks[:60]], admissions[:60], strict=True))
    assert all(by_phone[p].remembered is not None for p in drew)
    assert all(by_phone[p].remembered is None and by_phone[p].retry_after is None for p in fresh)
    spam = admissions[60:]
    assert sum(a.retry_after is None for a in spam) == 5
    assert sum(a.first_over for a in spam) == 1  # one "slow down", then silence
    assert own_services.redis.fallbacks == 0


async def test_looks_grouped_after_a_script_flush_load_the_script_again(
    own_services: Core,
) -> None:
    campaign = await own_services.campaigns.create(spec(sure_win(total=100, daily=100)))
    phones = [f"+8529263{i:04d}" for i in range(20)]
    await asyncio.gather(*(own_services.draws.draw(p, Channel.SMS) for p in phones))
    await own_services.draw_gate.flushed()
    await own_services.redis.client.script_flush()  # what a Redis restart does to scripts

    admissions = await asyncio.gather(
        *(
            own_services.draw_gate.admit(campaign.id, p, DAY, own_services.spam.rule(p))
            for p in phones
        )
    )

    assert all(a.remembered is not None for a in admissions)
    assert own_services.redis.fallbacks == 0
