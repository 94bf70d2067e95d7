"""A linked account's /draw finds its phone and language in Redis, not PostgreSQL, and every
change of them (linking another phone, the phone linked by another account, a language
choice) shows in the very next /draw; with Redis down PostgreSQL answers."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram import Bot
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core, open_core
from app.server import create_app
from app.settings import Settings
from db.people import PgCustomerStore
from tests.bot.conftest import PHONE, TelegramUser
from tests.conftest import FakeClock, forget_redis
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import spec, sure_loss
from tests.private_redis import start_private_redis
from tests.twilio_client import Twilio

OTHER_PHONE = "+85298765432"


@pytest.fixture
def lookups(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The Telegram user ids looked up in PostgreSQL's customer table, in order."""
    seen: list[int] = []
    real = PgCustomerStore.by_telegram

    async def by_telegram(self: PgCustomerStore, user_id: int) -> Any:
        seen.append(user_id)
        return await real(self, user_id)

    monkeypatch.setattr(PgCustomerStore, "by_telegram", by_telegram)
    return seen


async def draws_of(services: Core, phone: str) -> int:
    return int(
        await services.pool.fetchval(
            "SELECT count(*) FROM draw d JOIN customer c ON c.id = d.customer_id"
            " WHERE c.phone = $1",
            phone,
        )
    )


async def test_a_linked_draw_does_not_look_the_customer_up_in_postgresql(
    ann: TelegramUser, services: Core, lookups: list[int]
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    lookups.clear()  # the contact message itself went through aiogram's lookup
    assert await ann.send("/draw") == 200
    assert ann.last.startswith("No prize this time in Winter Lucky Draw.")
    assert await draws_of(services, PHONE) == 1
    assert lookups == []


async def test_without_the_redis_copy_postgresql_answers_once_and_fills_it(
    ann: TelegramUser, services: Core, lookups: list[int]
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    await forget_redis(services)  # expired, or a Redis restarted empty
    lookups.clear()
    await ann.send("/draw")
    await ann.send("/draw")
    assert ann.texts()[-2].startswith("No prize this time in Winter Lucky Draw.")
    assert ann.last.startswith("You already drew today in Winter Lucky Draw")
    assert lookups == [ann.id]
    assert await draws_of(services, PHONE) == 1


async def test_linking_another_phone_draws_for_it_at_once(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    await ann.send("/draw")
    await ann.linked(OTHER_PHONE)
    await ann.send("/draw")
    assert ann.last.startswith("No prize this time in Winter Lucky Draw.")
    assert (await draws_of(services, PHONE), await draws_of(services, OTHER_PHONE)) == (1, 1)


async def test_a_phone_linked_by_another_account_no_longer_draws_for_the_first(
    ann: TelegramUser, client: TestClient[Any, Any], bot_api: FakeBotAPI, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    bob = await TelegramUser(client, bot_api, 5_550_002).linked()
    await ann.send("/draw")
    assert "share your phone number first" in ann.last
    assert await draws_of(services, PHONE) == 0
    await bob.send("/draw")
    assert await draws_of(services, PHONE) == 1


async def test_a_language_chosen_by_sms_shows_in_the_next_telegram_draw(
    ann: TelegramUser, sms: Twilio, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    await ann.send("/draw")
    assert ann.last.startswith("No prize this time")
    assert (await sms.text("LANG ZH")).status == 200
    await ann.send("/draw")
    assert ann.last.startswith("你今天已在Winter Lucky Draw抽過獎")
    await ann.send("/lang en")
    await ann.send("/draw")
    assert ann.last.startswith("You already drew today in Winter Lucky Draw")


async def test_with_redis_down_a_linked_draw_still_draws_once(
    services: Core, tg_settings: Settings, clock: FakeClock, bot_api: FakeBotAPI, bot: Bot
) -> None:
    redis = start_private_redis()
    try:
        own = tg_settings.model_copy(update={"redis_url": redis.url})
        async with open_core(own, clock=clock) as core:
            app = create_app(own, core, telegram_bot=bot)
            async with TestClient(TestServer(app)) as client:
                await core.campaigns.create(spec(sure_loss()))
                ann = await TelegramUser(client, bot_api, 5_550_001).linked()
                redis.stop()
                await ann.send("/draw")
                assert ann.last.startswith("No prize this time in Winter Lucky Draw.")
                await ann.send("/draw")
                assert ann.last.startswith("You already drew today in Winter Lucky Draw")
                assert await draws_of(core, PHONE) == 1
                assert core.redis.fallbacks >= 2
    finally:
        redis.stop()
