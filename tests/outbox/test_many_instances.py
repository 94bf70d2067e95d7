"""Several instances, each with its own connection pool, ticking at once against one database."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import asyncpg
import pytest

from app.bootstrap import Core
from app.settings import Settings
from core.model import Channel
from core.ports import Sender
from core.services.reminders import ReminderService
from db.campaigns import PgCampaignStore
from db.outbox import PgOutboxStore
from db.pool import create_pool
from tests.conftest import FakeClock
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import campaign_data, spec
from tests.outbox.conftest import dispatcher, outbox_rows, sms_player, telegram_player

SMS_PLAYERS = [f"+8529200{i:04d}" for i in range(120)]
TG_PLAYERS = [f"+8529300{i:04d}" for i in range(30)]


@pytest.fixture
async def players(services: Core, clock: FakeClock) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    clock.set(datetime(2026, 12, 10, 2, 0, tzinfo=UTC))  # 10:00 in Hong Kong
    for phone in SMS_PLAYERS:
        await sms_player(services, clock, phone)
    for phone in TG_PLAYERS:
        await telegram_player(services, clock, phone)


@pytest.mark.parametrize("instances", [2, 5])
@pytest.mark.usefixtures("players")
async def test_every_reminder_is_enqueued_once_and_sent_once_however_many_instances_run(
    instances: int,
    services: Core,
    settings: Settings,
    senders: dict[Channel, Sender],
    fake_twilio: FakeTwilio,
    bot_api: FakeBotAPI,
) -> None:
    assert settings.database_url is not None
    pools = [
        await create_pool(settings.database_url, min_size=2, max_size=6) for _ in range(instances)
    ]

    async def instance(pool: asyncpg.Pool) -> None:
        store = PgOutboxStore(pool)
        reminders = ReminderService(
            PgCampaignStore(pool), store, services.clock, settings.quiet_hours
        )
        sending = dispatcher(services, senders, store=store, batch_size=10, max_batches=3)
        for _ in range(4):  # the loops overlap: enqueue and send race each other
            await reminders.tick()
            await sending.tick()

    try:
        await asyncio.gather(*(instance(pool) for pool in pools))
        await asyncio.gather(*(instance(pool) for pool in pools))  # drain what is left
    finally:
        for pool in pools:
            await pool.close()

    texted = Counter(m.to for m in fake_twilio.messages)
    assert texted == Counter(SMS_PLAYERS)  # each exactly once
    telegrammed = Counter(c.params["chat_id"] for c in bot_api.calls if c.method == "sendMessage")
    assert len(telegrammed) == len(TG_PLAYERS)
    assert set(telegrammed.values()) == {1}
    rows = await outbox_rows(services)
    assert len(rows) == len(SMS_PLAYERS) + len(TG_PLAYERS)
    assert {r["status"] for r in rows} == {"sent"}
