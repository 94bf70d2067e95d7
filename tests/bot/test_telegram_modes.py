"""Long polling for local use, and registering the webhook with Telegram."""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from app.telegram_wiring import set_webhook
from tests.bot.conftest import SECRET, telegram_settings
from tests.fakes.bot_api import FakeBotAPI


async def test_polling_mode_answers_updates_fetched_from_telegram(
    services: Core, tg_settings: Settings, bot: Bot, bot_api: FakeBotAPI
) -> None:
    polling = tg_settings.model_copy(update={"telegram_mode": "polling"})
    async with TestClient(TestServer(create_app(polling, services, telegram_bot=bot))) as client:
        user = {"id": 5_550_009, "is_bot": False, "first_name": "Bo", "language_code": "en"}
        chat = {"id": 5_550_009, "type": "private", "first_name": "Bo"}
        bot_api.push_update(
            {"message": {"message_id": 1, "from": user, "chat": chat, "date": 0, "text": "/start"}}
        )
        async with asyncio.timeout(5):
            # The fake only records calls; polling them is the way to see a reply arrive.
            while not any(c.method == "sendMessage" for c in bot_api.calls):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        (reply,) = [c.params for c in bot_api.calls if c.method == "sendMessage"]
        assert "share your phone number" in reply["text"]
        webhook = await client.post("/telegram/webhook", json={})
        assert webhook.status == 404  # polling mode takes no webhooks
    # Stopped with the app: no polling left behind to poll on with a new HTTP session.
    polls = [t for t in asyncio.all_tasks() if "Dispatcher._polling" in repr(t.get_coro())]
    assert polls == []


async def test_set_webhook_registers_the_public_url_with_the_secret(
    settings: Settings, bot_api: FakeBotAPI
) -> None:
    url = await set_webhook(telegram_settings(settings, bot_api.base))
    assert url == "https://luckydraw.example.com/telegram/webhook"
    assert bot_api.webhook_url == url
    (call,) = [c for c in bot_api.calls if c.method == "setWebhook"]
    assert call.params["secret_token"] == SECRET
    assert call.params["allowed_updates"] == ["message", "callback_query", "my_chat_member"]
