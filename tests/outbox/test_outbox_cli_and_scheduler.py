"""The outbox as operators run it: APScheduler in the serve process, and the CLI."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re

from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core
from app.outbox_wiring import build_outbox_jobs
from app.scheduler import running_scheduler
from app.server import create_app
from app.settings import Settings
from core.model import Channel, OutgoingMessage
from core.ports import Sender
from core.retry import RetryPolicy
from core.services.outbox import DispatchConfig, Dispatcher
from db.outbox import PgOutboxStore
from tests.conftest import FakeClock
from tests.e2e.test_cli import luckydraw
from tests.fakes.twilio_api import FakeTwilio
from tests.helpers import campaign_data, spec, sure_win
from tests.outbox.conftest import HalfRandom, dispatcher, reminders, sms_player

PLAYER = "+85291230001"


async def test_the_scheduler_sends_a_won_code_on_its_own(
    services: Core,
    settings: Settings,
    clock: FakeClock,
    senders: dict[Channel, Sender],
    fake_twilio: FakeTwilio,
) -> None:
    await services.campaigns.create(spec(sure_win()))
    await sms_player(services, clock, PLAYER)
    await services.outbox.enqueue_coupon(await services.draws.draw(PLAYER, Channel.API))
    delivered = asyncio.Event()

    class Notifying:
        async def send(self, message: OutgoingMessage) -> str | None:
            try:
                return await senders[Channel.SMS].send(message)
            finally:
                delivered.set()

    core = dataclasses.replace(services, random=HalfRandom())
    outbox = build_outbox_jobs(settings, core, {Channel.SMS: Notifying()})

    async with running_scheduler(outbox, services.proofs):
        await asyncio.wait_for(delivered.wait(), 20)
    assert [m.to for m in fake_twilio.messages] == [PLAYER]


async def test_operators_list_the_outbox_and_revive_dead_messages_from_the_cli(
    services: Core,
    settings: Settings,
    clock: FakeClock,
    senders: dict[Channel, Sender],
    fake_twilio: FakeTwilio,
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    await sms_player(services, clock, PLAYER)
    await reminders(services).tick()
    fake_twilio.fail_next(503)
    await dispatcher(services, senders, retry=RetryPolicy(max_attempts=1)).tick()

    stats = await asyncio.to_thread(luckydraw, settings, "outbox", "stats")
    assert re.search(r"^sms +reminder +dead +1$", stats.stdout, re.M), stats.stdout
    assert "due now: 0" in stats.stdout
    as_json = await asyncio.to_thread(luckydraw, settings, "outbox", "stats", "--json")
    assert json.loads(as_json.stdout)["counts"] == [
        {"channel": "sms", "kind": "reminder", "status": "dead", "count": 1}
    ]
    revived = await asyncio.to_thread(luckydraw, settings, "outbox", "retry-dead")
    assert revived.returncode == 0, revived.stderr
    assert revived.stdout.strip() == "1 dead message(s) queued again"
    assert await dispatcher(services, senders).tick() == {"sent": 1}


async def test_metrics_show_the_outbox_depth_and_send_outcomes(
    services: Core, settings: Settings, clock: FakeClock, senders: dict[Channel, Sender]
) -> None:
    await services.campaigns.create(spec(campaign_data(reminder_time="10:00")))
    await sms_player(services, clock, PLAYER)
    await sms_player(services, clock, "+85291230002")
    await reminders(services).tick()
    await Dispatcher(
        PgOutboxStore(services.pool),
        senders,
        clock,
        HalfRandom(),
        DispatchConfig(batch_size=1, max_batches=1),  # one of the two goes out now
        services.telemetry,
    ).tick()

    async with TestClient(TestServer(create_app(settings, services))) as client:
        text = await (await client.get("/metrics")).text()
    assert "luckydraw_outbox_depth 1.0" in text
    assert 'luckydraw_messages_sent_total{channel="sms",status="sent"}' in text
