"""The Telegram channel through POST /telegram/webhook, against a local fake Bot API."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import structlog
from aiogram import Bot
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from structlog.dev import plain_traceback

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from bot.client import open_bot
from bot.sender import TelegramSender
from tests.fakes.bot_api import FakeBotAPI
from tests.twilio_client import Twilio

TOKEN = "123456789:AAE-test-token"
SECRET = "s3cret-webhook-token"
PHONE = "+85291234567"
STAFF_PHONE = "+85261234567"
DATE = 1_765_339_200  # 10 Dec 2025, any time will do: the clock is injected


def telegram_settings(settings: Settings, api_base: str, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),  # model_copy does not validate
            "telegram_webhook_secret": SecretStr(SECRET),
            "telegram_api_base": api_base,
            **extra,
        }
    )


@pytest.fixture(scope="package", autouse=True)
def plain_tracebacks() -> Iterator[None]:
    """structlog's default console renders failures with rich, locals and all: seconds each.
    Production logs format them as text (app.logs); so do these tests."""
    previous = structlog.get_config()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.dev.ConsoleRenderer(colors=False, exception_formatter=plain_traceback),
        ]
    )
    yield
    structlog.configure(**previous)


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(TOKEN) as api:
        yield api


@pytest.fixture
def tg_settings(settings: Settings, bot_api: FakeBotAPI) -> Settings:
    return telegram_settings(settings, bot_api.base)


@pytest.fixture
async def bot(bot_api: FakeBotAPI) -> AsyncIterator[Bot]:
    """A bot pointed at the fake Bot API."""
    async with open_bot(TOKEN, bot_api.base) as opened:
        yield opened


@pytest.fixture
def sender(bot: Bot, services: Core) -> TelegramSender:
    return TelegramSender(bot, services.customers)


@pytest.fixture
async def client(
    services: Core, tg_settings: Settings, bot: Bot
) -> AsyncIterator[TestClient[Any, Any]]:
    app = create_app(tg_settings, services, telegram_bot=bot)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


_update_ids = itertools.count(1000)
_message_ids = itertools.count(1)


class TelegramUser:
    """One person in a private chat with the bot, sending updates as Telegram does."""

    def __init__(
        self,
        client: TestClient[Any, Any],
        api: FakeBotAPI,
        user_id: int,
        language_code: str = "en",
    ) -> None:
        self.client = client
        self.api = api
        self.id = user_id
        self.language_code = language_code

    @property
    def user(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "is_bot": False,
            "first_name": "Ann",
            "language_code": self.language_code,
        }

    def message(self, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(_message_ids),
            "from": self.user,
            "chat": {"id": self.id, "type": "private", "first_name": "Ann"},
            "date": DATE,
            **content,
        }

    async def deliver(
        self, update: dict[str, Any], *, secret: str | None = SECRET
    ) -> tuple[int, dict[str, Any]]:
        """POST one update; answers (status, update) so a test can deliver it again.

        A Bot API method in the response body is called as Telegram would call it."""
        update.setdefault("update_id", next(_update_ids))
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        response = await self.client.post("/telegram/webhook", json=update, headers=headers)
        if response.status == 200:
            reply = dict(await response.json())
            if "method" in reply:
                await self._call(reply.pop("method"), reply)
        return response.status, update

    async def _call(self, method: str, params: dict[str, Any]) -> None:
        form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
        async with aiohttp.ClientSession() as http:
            await http.post(f"{self.api.base}/bot{self.api.token}/{method}", data=form)

    async def send(self, text: str, **options: Any) -> int:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        status, _ = await self.deliver({"message": self.message(**content)}, **options)
        return status

    async def share_contact(
        self, phone_number: str, owner: int | None = None, **options: Any
    ) -> int:
        contact = {
            "phone_number": phone_number,
            "first_name": "Ann",
            "user_id": self.id if owner is None else owner,
        }
        status, _ = await self.deliver({"message": self.message(contact=contact)}, **options)
        return status

    def button_update(self, data: str) -> dict[str, Any]:
        bot_message = {
            "message_id": next(_message_ids),
            "from": self.api.me,
            "chat": {"id": self.id, "type": "private", "first_name": "Ann"},
            "date": DATE,
            "text": "Your daily draw is ready.",
        }
        return {
            "callback_query": {
                "id": f"cb{next(_message_ids)}",
                "from": self.user,
                "chat_instance": "42",
                "message": bot_message,
                "data": data,
            }
        }

    async def press(self, data: str) -> int:
        status, _ = await self.deliver(self.button_update(data))
        return status

    def sent(self) -> list[dict[str, Any]]:
        """sendMessage calls to this chat, oldest first."""
        return [
            c.params
            for c in self.api.calls
            if c.method.lower() == "sendmessage" and str(c.params.get("chat_id")) == str(self.id)
        ]

    def texts(self) -> list[str]:
        return [str(p["text"]) for p in self.sent()]

    @property
    def last(self) -> str:
        return self.texts()[-1]

    async def linked(self, phone: str = PHONE) -> TelegramUser:
        assert await self.share_contact(phone.lstrip("+")) == 200
        return self


@pytest.fixture
def ann(client: TestClient[Any, Any], bot_api: FakeBotAPI) -> TelegramUser:
    return TelegramUser(client, bot_api, 5_550_001)


@pytest.fixture
def staff_member(client: TestClient[Any, Any], bot_api: FakeBotAPI) -> TelegramUser:
    return TelegramUser(client, bot_api, 5_550_002)


@pytest.fixture
def sms(client: TestClient[Any, Any], tg_settings: Settings) -> Twilio:
    """The same phone playing by SMS, through the same app."""
    return Twilio(client, tg_settings)
