"""A whole day: 5,000 customers draw at once over SMS and Telegram while quotas run out; the
published log passes the verifier, and every customer finds their own entry in it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from bot.client import open_bot
from core import verify
from tests.bot.conftest import TOKEN, TelegramUser, telegram_settings
from tests.conftest import FakeClock
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import campaign_data, spec
from tests.proof.helpers import DAY, published_day
from tests.twilio_client import Twilio

SMS_PLAYERS, TELEGRAM_PLAYERS = 3_500, 1_500
IN_FLIGHT = 48  # webhooks at once: a busy minute, not the machine's limit


@pytest.fixture
async def channels(
    services: Core, settings: Settings
) -> AsyncIterator[tuple[TestClient[Any, Any], FakeBotAPI]]:
    """One server with both channels, its bot talking to a local fake Bot API."""
    async with FakeBotAPI(TOKEN) as api, open_bot(TOKEN, api.base) as bot:
        app = create_app(telegram_settings(settings, api.base), services, telegram_bot=bot)
        async with TestClient(TestServer(app)) as client:
            yield client, api


async def test_a_day_of_5000_concurrent_draws_over_sms_and_telegram_verifies(
    services: Core,
    settings: Settings,
    clock: FakeClock,
    channels: tuple[TestClient[Any, Any], FakeBotAPI],
) -> None:
    prizes = [
        {"name": "Mug", "probability": 0.3, "total_quota": 5000, "daily_quota": 300,
         "valid_days": 7},
        {"name": "Tote Bag", "probability": 0.2, "total_quota": 120, "daily_quota": 120,
         "valid_days": 7},
    ]  # fmt: skip
    await services.campaigns.create(spec(campaign_data(prizes=prizes)))
    client, api = channels
    telegram = [TelegramUser(client, api, 8_000_000 + i) for i in range(TELEGRAM_PLAYERS)]
    for i, user in enumerate(telegram):  # linked beforehand: the day is about draws
        await services.customers.link_telegram(user.id, f"+85261{i:06d}")
    twilio = Twilio(client, settings)
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def sms(i: int) -> int:
        async with gate:
            return (await twilio.text("DRAW", f"+85291{i:06d}")).status

    async def tg(user: TelegramUser) -> int:
        async with gate:
            return await user.send("/draw")

    jobs = [sms(i) for i in range(SMS_PLAYERS)] + [tg(u) for u in telegram]
    # Interleave the channels so both race for the same quota units.
    mixed = [
        job
        for pair in zip(jobs[: len(telegram)], jobs[-len(telegram) :], strict=False)
        for job in pair
    ]
    statuses = await asyncio.gather(*mixed, *jobs[len(telegram) : -len(telegram)])
    assert set(statuses) == {200}

    log = await published_day(services, clock)
    report = verify.verify(log)
    assert report.ok, report.text()
    assert report.entries == SMS_PLAYERS + TELEGRAM_PLAYERS
    assert report.wins == {"Mug": 300, "Tote Bag": 120}  # both quotas ran out
    assert report.outcomes["sold_out"] > 0
    by_channel = dict(
        await services.pool.fetch("SELECT channel, count(*) FROM draw GROUP BY channel")
    )
    assert by_channel == {"sms": SMS_PLAYERS, "telegram": TELEGRAM_PLAYERS}
    # Published in database order: the ids the draws got.
    refs = [r["entry"] for r in await services.pool.fetch("SELECT entry FROM draw ORDER BY id")]
    assert [e["ref"] for e in log["entries"]] == refs
    assert "+852" not in json.dumps(log)
    assert DAY.isoformat() == log["day"]
