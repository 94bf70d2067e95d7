"""PostgreSQL restarted, crashed or silent while signed DRAWs keep coming."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from core.deadline import Deadline
from core.errors import AlreadyDrewToday
from core.model import Channel
from tests.faults.checks import broken_invariants, unseen_wins
from tests.faults.conftest import campaign, fault_settings, report, running_app
from tests.faults.load import DrawLoad, new_phone, new_sid, text
from tests.faults.proxy import BlackHoleProxy
from tests.faults.servers import PrivatePostgres, PrivateRedis


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_a_postgres_restart_costs_apologies_only_and_draws_resume(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis, mode: str
) -> None:
    """Restarted (`pg_ctl -m fast`) or crashed (`-m immediate`, crash recovery) mid-load."""
    async with running_app(fault_settings(database_url, redis.url)) as app:
        await app.services.campaigns.create(campaign())
        load = DrawLoad(app.base_url, concurrency=8, timeout=15)
        await load.start()
        await asyncio.sleep(0.5)
        await asyncio.to_thread(postgres.stop, mode)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(postgres.start)
        restarted = time.monotonic()
        await asyncio.sleep(1.0)
        outcomes = await load.stop()
        kinds = load.kinds()
        report(f"postgres restarted ({mode})", kinds, load.recovery_seconds(restarted))
        assert await broken_invariants(app.services.pool, outcomes) == []
        assert await unseen_wins(app.services.pool, app.base_url, outcomes) == []


async def test_a_silent_postgres_gets_apologies_that_are_true_and_no_late_commits(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis
) -> None:
    """Stalled 2.5 s behind a black hole, then released: whatever was apologised for or left
    unanswered is not drawn later, and a win that did commit is shown on the next DRAW."""
    proxy = BlackHoleProxy(postgres.port)
    await proxy.start()
    through_proxy = database_url.replace(f":{postgres.port}/", f":{proxy.port}/")
    settings = fault_settings(through_proxy, redis.url, webhook_deadline_seconds=1.2)
    async with running_app(settings) as app:
        await app.services.campaigns.create(campaign())
        load = DrawLoad(app.base_url, concurrency=8, timeout=5)
        await load.start()
        await asyncio.sleep(0.5)
        proxy.black_hole()
        await asyncio.sleep(2.5)
        proxy.release()
        released = time.monotonic()
        await asyncio.sleep(1.0)
        outcomes = await load.stop()
        await asyncio.sleep(1.0)  # anything delivered late has had time to commit
        kinds = load.kinds()
        assert kinds.get("apology", 0) + kinds.get("unconfirmed", 0) > 0, kinds  # it happened
        assert kinds.get("won", 0) + kinds.get("lost", 0) > 0, kinds
        assert await broken_invariants(app.services.pool, outcomes) == []
        assert await unseen_wins(app.services.pool, app.base_url, outcomes) == []
        report("postgres black-holed 2.5 s", kinds, load.recovery_seconds(released))
    await proxy.close()


async def test_a_draw_that_reaches_postgres_after_its_deadline_commits_nothing(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis
) -> None:
    """The statement waits in a black hole past the webhook's deadline, then arrives."""
    proxy = BlackHoleProxy(postgres.port)
    await proxy.start()
    through_proxy = database_url.replace(f":{postgres.port}/", f":{proxy.port}/")
    async with running_app(fault_settings(through_proxy, redis.url)) as app:
        await app.services.campaigns.create(campaign())
        await app.services.draws.draw("+85291239999", Channel.SMS)  # campaign now cached
        proxy.black_hole()
        late = app.services.draws.draw("+85291230000", Channel.SMS, request_id="sms:late")
        with pytest.raises(TimeoutError):
            await Deadline.after(1.0).run(late)
        proxy.release()
        await asyncio.sleep(1.0)  # delivered now, late: PostgreSQL runs it, then refuses
        assert await app.services.pool.fetchval("SELECT count(*) FROM draw") == 1
        try:  # and the customer's next DRAW is a real one
            result = await app.services.draws.draw("+85291230000", Channel.SMS)
        except AlreadyDrewToday:
            pytest.fail("the draw delivered after its deadline was committed")
        assert result.outcome
    await proxy.close()


async def test_a_draw_on_a_silent_postgres_is_apologised_for_at_its_deadline(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis
) -> None:
    """The answer does not wait for the cancelled query to unwind: asyncpg waits for its
    cancel request (which the silent network holds too) up to the acquire timeout."""
    proxy = BlackHoleProxy(postgres.port)
    await proxy.start()
    through_proxy = database_url.replace(f":{postgres.port}/", f":{proxy.port}/")
    settings = fault_settings(
        through_proxy,
        redis.url,
        webhook_deadline_seconds=1.2,
        db_command_timeout=60,
        db_acquire_timeout=60,  # also bounds how long a cancelled query waits to unwind
    )
    try:
        async with running_app(settings) as app:
            await app.services.campaigns.create(campaign())
            proxy.black_hole()
            timeout = aiohttp.ClientTimeout(total=30)  # generous, and half the command timeout
            async with aiohttp.ClientSession(timeout=timeout) as session:
                outcome = await text(session, app.base_url, "DRAW", new_phone(), new_sid())
            assert outcome.kind in ("apology", "unconfirmed"), outcome
            proxy.release()
            await asyncio.sleep(1.0)  # anything delivered late has had time to commit
            assert await app.services.pool.fetchval("SELECT count(*) FROM draw") == 0
    finally:
        proxy.release()
        await proxy.close()
