"""The outbox against the real stores, sending through the real SMS and Telegram senders to
the local fake Twilio and Bot API servers. Time is the injected FakeClock."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import AsyncIterator
from datetime import time, timedelta
from typing import Any

import pytest

from app.bootstrap import Core
from bot.client import open_bot
from bot.sender import TelegramSender
from core.model import Channel
from core.ports import Sender
from core.services.outbox import DispatchConfig, Dispatcher, Sleep
from core.services.reminders import ReminderService
from db.campaigns import PgCampaignStore
from db.outbox import PgOutboxStore
from sms.sender import TwilioConfig, open_sms_sender
from tests.conftest import FakeClock
from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "2" * 32
AUTH_TOKEN = "fake-twilio-outbox-token"
FROM = "+85230001234"
BOT_TOKEN = "987654321:AAE-outbox-test-token"
ALLOWED = frozenset({"HK", "US"})
QUIET_HOURS = (time(21, 0), time(9, 0))  # QUIET_HOURS' default, as the tests' settings have it
_sids = itertools.count(1)
_telegram_ids = itertools.count(7_000_001)


class HalfRandom:
    """Jitter in the middle of its range, so backoff times are predictable."""

    def uniform(self) -> float:
        return 0.5

    def token_bytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(BOT_TOKEN) as api:
        yield api


@pytest.fixture
async def senders(
    services: Core, fake_twilio: FakeTwilio, bot_api: FakeBotAPI
) -> AsyncIterator[dict[Channel, Sender]]:
    """The production senders (SMS behind its anti-pumping guard) pointed at the fakes."""
    twilio = TwilioConfig(ACCOUNT_SID, AUTH_TOKEN, FROM, api_base=fake_twilio.base)
    async with (
        open_sms_sender(twilio, services.sms_store, services.customers, ALLOWED) as sms,
        open_bot(BOT_TOKEN, bot_api.base) as bot,
    ):
        yield {Channel.SMS: sms, Channel.TELEGRAM: TelegramSender(bot, services.customers)}


def dispatcher(
    services: Core,
    senders: dict[Channel, Sender],
    *,
    store: PgOutboxStore | None = None,
    sleep: Sleep | None = None,
    **config: Any,
) -> Dispatcher:
    """A dispatcher with no send rate unless one is given, and mid-range jitter."""
    extra: dict[str, Any] = {"sleep": sleep} if sleep else {}
    return Dispatcher(
        store or PgOutboxStore(services.pool),
        senders,
        services.clock,
        HalfRandom(),
        DispatchConfig(**config),
        **extra,
    )


def reminders(services: Core) -> ReminderService:
    store = PgOutboxStore(services.pool)
    return ReminderService(PgCampaignStore(services.pool), store, services.clock, QUIET_HOURS)


async def sms_player(services: Core, clock: FakeClock, phone: str, *, days_ago: int = 1) -> None:
    """Someone who texted DRAW `days_ago` days ago (the clock comes back to now after)."""
    now = clock.now
    clock.set(now - timedelta(days=days_ago))
    await services.sms_store.begin_inbound(f"SM{next(_sids):032x}", phone, "DRAW", clock.now)
    await services.draws.draw(phone, Channel.SMS)
    clock.set(now)


async def telegram_player(
    services: Core, clock: FakeClock, phone: str, *, days_ago: int = 1
) -> int:
    """Someone who linked Telegram and drew there `days_ago` days ago; answers their chat id."""
    user_id = next(_telegram_ids)
    now = clock.now
    clock.set(now - timedelta(days=days_ago))
    await services.customers.link_telegram(user_id, phone)
    await services.draws.draw(phone, Channel.TELEGRAM)
    clock.set(now)
    return user_id


async def outbox_rows(services: Core) -> list[dict[str, Any]]:
    rows = await services.pool.fetch(
        """SELECT o.*, cu.phone FROM outbox o JOIN customer cu ON cu.id = o.customer_id
            ORDER BY o.id"""
    )
    return [dict(r) for r in rows]
