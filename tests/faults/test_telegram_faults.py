"""PostgreSQL silent while a Telegram /draw arrives: the webhook's deadline holds, and the
apology is true, as for SMS (tests/faults/test_postgres_faults.py)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.client import open_bot
from tests.fakes.bot_api import FakeBotAPI
from tests.faults.conftest import RunningApp, campaign, fault_settings, metric, running_app
from tests.faults.proxy import BlackHoleProxy
from tests.faults.servers import PrivatePostgres, PrivateRedis

TOKEN = "123456789:AAE-fault-test-token"
SECRET = "fault-webhook-secret"
DEADLINE = 1.2  # WEBHOOK_DEADLINE_SECONDS: the proxy holds the database far longer
# DB_COMMAND_TIMEOUT and DB_ACQUIRE_TIMEOUT, which also bound how long a cancelled query
# waits for its cancel request to get through: the answer must come at the deadline, not then.
LONG = 60.0
USER, PHONE = 5_550_001, "+85291238888"
_update_ids = itertools.count(1)


@asynccontextmanager
async def telegram_app(
    database_url: str, postgres: PrivatePostgres, redis: PrivateRedis
) -> AsyncIterator[tuple[RunningApp, BlackHoleProxy]]:
    """The service with its Telegram webhook, reaching PostgreSQL through a black-hole proxy;
    a customer linked to USER, and a campaign where every draw wins."""
    proxy = BlackHoleProxy(postgres.port)
    await proxy.start()
    through_proxy = database_url.replace(f":{postgres.port}/", f":{proxy.port}/")
    try:
        async with FakeBotAPI(TOKEN) as api, open_bot(TOKEN, api.base) as bot:
            settings = fault_settings(
                through_proxy,
                redis.url,
                webhook_deadline_seconds=DEADLINE,
                db_command_timeout=LONG,
                db_acquire_timeout=LONG,
                telegram_bot_token=SecretStr(TOKEN),
                telegram_webhook_secret=SecretStr(SECRET),
                telegram_api_base=api.base,
            )
            async with running_app(settings, telegram_bot=bot) as app:
                await app.services.campaigns.create(campaign(probability=1.0))
                await app.services.customers.link_telegram(USER, PHONE)
                yield app, proxy
    finally:
        proxy.release()
        await proxy.close()


async def draw(app: RunningApp) -> tuple[int, dict[str, Any]]:
    """Deliver /draw as Telegram does; answers the status and the reply in the body."""
    update = {
        "update_id": next(_update_ids),
        "message": {
            "message_id": 1,
            "from": {"id": USER, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "chat": {"id": USER, "type": "private", "first_name": "Ann"},
            "date": 1_765_339_200,
            "text": "/draw",
            "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
        },
    }
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    # Generous, yet well before LONG: the deadline answers long before.
    timeout = aiohttp.ClientTimeout(total=LONG / 2)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.post(app.base_url + "/telegram/webhook", json=update, headers=headers) as r,
    ):
        return r.status, await r.json()


async def draws(app: RunningApp) -> int:
    count: int = await app.services.pool.fetchval("SELECT count(*) FROM draw")
    return count


async def test_a_telegram_draw_stuck_before_it_leaves_is_apologised_for_and_never_drawn(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis
) -> None:
    async with telegram_app(database_url, postgres, redis) as (app, proxy):
        proxy.black_hole()  # the customer's lookup, before any draw, waits in it
        status, reply = await draw(app)
        assert status == 200
        assert reply["method"] == "sendMessage"
        assert reply["chat_id"] == USER
        assert (
            reply["text"]
            == "Sorry, something went wrong on our side. Please try again in a minute."
        )
        proxy.release()
        assert await draws(app) == 0  # nothing was drawn: "try again" was true
        assert (
            await metric(
                app.base_url, 'luckydraw_apologies_total{channel="telegram",reason="deadline"}'
            )
            == 1
        )

        status, reply = await draw(app)  # and trying again draws
        code = await app.services.pool.fetchval("SELECT code FROM coupon")
        assert status == 200
        assert code in reply["text"]


async def test_a_telegram_draw_sent_but_unanswered_by_its_deadline_says_so_and_the_next_shows_it(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis
) -> None:
    async with telegram_app(database_url, postgres, redis) as (app, proxy):
        proxy.black_hole_on(b"ld_draw(")  # the draw statement has left, and goes no further
        status, reply = await draw(app)
        assert status == 200
        assert reply["text"] == (
            "Sorry, we could not confirm your draw in time. Send /draw again in a minute to "
            "see your result."
        )
        proxy.release()
        assert (
            await metric(
                app.base_url, 'luckydraw_apologies_total{channel="telegram",reason="unconfirmed"}'
            )
            == 1
        )

        status, reply = await draw(app)  # the day's draw, whatever became of the first
        code = await app.services.pool.fetchval("SELECT code FROM coupon")
        assert status == 200
        assert code in reply["text"]
        assert await draws(app) == 1
