"""A retry storm: each message three times at once, and other messages from the same phones."""

from __future__ import annotations

import asyncio

import aiohttp

from tests.faults.checks import broken_invariants
from tests.faults.conftest import campaign, fault_settings, running_app
from tests.faults.load import new_phone, new_sid, text
from tests.faults.servers import PrivatePostgres, PrivateRedis


async def test_copies_in_flight_are_answered_alike_and_handled_once(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis
) -> None:
    async with running_app(fault_settings(database_url, redis.url)) as app:
        await app.services.campaigns.create(campaign())
        phones = [new_phone() for _ in range(20)]
        messages = [(phone, body, new_sid()) for phone in phones for body in ("DRAW", "STOP")]
        async with aiohttp.ClientSession() as session:
            sends = [
                text(session, app.base_url, body, phone, sid)
                for phone, body, sid in messages
                for _copy in range(3)
            ]
            sends += [text(session, app.base_url, "HELP", p, new_sid()) for p in phones]
            outcomes = await asyncio.gather(*sends)
        assert {o.status for o in outcomes} == {200}
        for phone, _body, sid in messages:
            replies = {o.reply for o in outcomes if o.sid == sid}
            assert len(replies) == 1, (phone, replies)
        pool = app.services.pool
        draws = await pool.fetchval("SELECT count(*) FROM draw")
        consents = await pool.fetch("SELECT count(*) AS n FROM consent_event GROUP BY customer_id")
        assert draws == len(phones)
        assert [c["n"] for c in consents] == [1] * len(phones)
        draws_answered = [
            o for o in outcomes if o.sid in {sid for _, body, sid in messages if body == "DRAW"}
        ]
        assert await broken_invariants(pool, draws_answered) == []
