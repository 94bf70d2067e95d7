"""Dispatcher throughput against a local fake Twilio with no send rate: messages per second.

Queues N SMS in a scratch database, starts the fake Twilio Messages API in its own process
(so it does not share our CPU), then runs dispatcher ticks until the outbox is empty, through
the production path: claim (SKIP LOCKED) -> re-read recipient -> anti-pumping guard ->
twilio SDK -> settle. Writes bench/results/outbox_dispatch.json.

    python -m bench.outbox_dispatch --messages 5000
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import time
from datetime import UTC, datetime
from typing import Any

from bench.common import REDIS_URL, save, scratch_database
from bench.reminder_enqueue import CAMPAIGN
from core.model import Channel
from core.ports import SystemRandomSource
from core.services.outbox import DispatchConfig, Dispatcher
from core.services.people import CustomerService
from core.validation import campaign_from_mapping
from db.campaigns import PgCampaignStore
from db.outbox import PgOutboxStore
from db.people import PgCustomerStore
from db.pool import create_pool
from db.redis_store import RedisDrawGate, RedisTelegramLinks, SafeRedis, create_redis
from db.sms import PgSmsStore
from sms.sender import TwilioConfig, open_sms_sender
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "3" * 32
TOKEN = "bench-token"
NOW = datetime(2026, 12, 10, 4, 0, tzinfo=UTC)


def _serve_fake(port: int, ready: Any) -> None:
    async def serve() -> None:
        async with FakeTwilio(ACCOUNT_SID, TOKEN, port=port):
            ready.set()
            await asyncio.Event().wait()

    asyncio.run(serve())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def run(messages: int, in_flight: int) -> dict[str, Any]:
    port = _free_port()
    ready = multiprocessing.Event()
    fake = multiprocessing.Process(target=_serve_fake, args=(port, ready), daemon=True)
    fake.start()
    ready.wait(10)
    try:
        async with scratch_database() as url:
            pool = await create_pool(url, min_size=2, max_size=10)
            redis = create_redis(REDIS_URL)  # the customer service's draw gate needs it
            try:
                await pool.execute(
                    """INSERT INTO customer (phone, last_channel, created_at, sms_inbound_at)
                       SELECT '+8529' || lpad(g::text, 7, '0'), 'sms', $1, $1
                         FROM generate_series(1, $2) g""",
                    NOW,
                    messages,
                )
                campaign = await PgCampaignStore(pool).create(campaign_from_mapping(CAMPAIGN), NOW)
                await pool.execute(
                    """INSERT INTO outbox (customer_id, channel, kind, body, campaign_id,
                                           local_day, next_attempt_at, created_at)
                       SELECT id, 'sms', 'reminder', 'Your daily draw is waiting!', $2,
                              '2026-12-10', $1, $1
                         FROM customer""",
                    NOW,
                    campaign.id,
                )
                safe = SafeRedis(redis, prefix="ldbench:")
                customers = CustomerService(
                    PgCustomerStore(pool),
                    lambda: NOW,
                    RedisDrawGate(safe),
                    RedisTelegramLinks(safe),
                )
                twilio = TwilioConfig(
                    ACCOUNT_SID, TOKEN, "+85230001234", api_base=f"http://127.0.0.1:{port}"
                )
                async with open_sms_sender(
                    twilio, PgSmsStore(pool), customers, frozenset({"HK"})
                ) as sender:
                    dispatcher = Dispatcher(
                        PgOutboxStore(pool),
                        {Channel.SMS: sender},
                        lambda: NOW,
                        SystemRandomSource(),
                        DispatchConfig(max_in_flight=in_flight),
                    )
                    sent = 0
                    started = time.perf_counter()
                    while outcomes := await dispatcher.tick():
                        sent += outcomes["sent"]
                    elapsed = time.perf_counter() - started
            finally:
                await pool.close()
                await redis.aclose()
    finally:
        fake.terminate()
    assert sent == messages, sent
    return {
        "messages": messages,
        "max_in_flight": in_flight,
        "seconds": round(elapsed, 2),
        "messages_per_second": round(messages / elapsed, 1),
        "rate_limit": None,
        "cpus": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--in-flight", type=int, nargs="+", default=[1, 20])
    args = parser.parse_args()
    results = [asyncio.run(run(args.messages, n)) for n in args.in_flight]
    print(save("outbox_dispatch", {"runs": results}))
    print(results)


if __name__ == "__main__":
    main()
