"""The fakes in tests/fakes, exercised through the real twilio and aiogram SDKs."""

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp import encode_basic_auth
from twilio.base.exceptions import TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from tests.fakes.bot_api import FakeBotAPI
from tests.fakes.twilio_api import FakeTwilio

TWILIO_API = "https://api.twilio.com"
ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-auth-token"
BOT_TOKEN = "123456:TEST-token"
PLAYER = "+15550001111"
SENDER = "+15559990000"


class RedirectingTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # untyped SDK
    """Points the SDK at the fake and fixes two twilio 9.13 quirks on the way."""

    def __init__(self, base: str, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        self.base = base

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's signature
        allow_redirects: bool = False,
    ) -> Response:
        # A ready-made header avoids aiohttp 3.14's BasicAuth DeprecationWarning.
        if auth is not None:
            headers = {**(headers or {}), "Authorization": encode_basic_auth(*auth)}
        return await super().request(
            method,
            url.replace(TWILIO_API, self.base, 1),
            params,
            data,
            headers,
            None,
            # The stock client never applies the timeout it was constructed with.
            timeout or self.timeout,
            allow_redirects,
        )


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(ACCOUNT_SID, AUTH_TOKEN) as fake:
        yield fake


@pytest.fixture
async def twilio_client(twilio: FakeTwilio) -> AsyncIterator[Client]:
    http_client = RedirectingTwilioHttpClient(twilio.base, timeout=0.5)
    yield Client(twilio.account_sid, twilio.auth_token, http_client=http_client)
    await http_client.close()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeBotAPI]:
    async with FakeBotAPI(BOT_TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(telegram: FakeBotAPI) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base))
    async with Bot(BOT_TOKEN, session=session) as bot:
        yield bot


async def test_twilio_sdk_gets_back_the_sid_of_the_message_the_fake_recorded(
    twilio: FakeTwilio, twilio_client: Client
) -> None:
    message = await twilio_client.messages.create_async(
        to=PLAYER, from_=SENDER, body="You won!", status_callback="https://app/status"
    )

    [sent] = twilio.messages
    assert message.sid == sent.sid
    assert sent.sid.startswith("SM")
    assert len(sent.sid) == 34
    assert (message.status, message.to, message.from_, message.num_segments) == (
        "queued",
        PLAYER,
        SENDER,
        "1",
    )
    assert (sent.to, sent.from_, sent.body, sent.status_callback) == (
        PLAYER,
        SENDER,
        "You won!",
        "https://app/status",
    )


async def test_messages_sent_via_a_messaging_service_are_accepted_not_queued(
    twilio: FakeTwilio, twilio_client: Client
) -> None:
    message = await twilio_client.messages.create_async(
        to=PLAYER, messaging_service_sid="MG" + "1" * 32, body="hi"
    )

    assert (message.status, message.from_) == ("accepted", None)
    assert twilio.messages[0].messaging_service_sid == "MG" + "1" * 32


async def test_sending_to_an_opted_out_recipient_raises_twilio_error_21610(
    twilio: FakeTwilio, twilio_client: Client
) -> None:
    twilio.opted_out.add(PLAYER)

    with pytest.raises(TwilioRestException) as raised:
        await twilio_client.messages.create_async(to=PLAYER, from_=SENDER, body="hi")

    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert twilio.messages == []


async def test_forced_failures_are_served_before_sending_resumes(
    twilio: FakeTwilio, twilio_client: Client
) -> None:
    twilio.fail_next(status=503, times=2)

    for _ in range(2):
        with pytest.raises(TwilioRestException) as raised:
            await twilio_client.messages.create_async(to=PLAYER, from_=SENDER, body="hi")
        assert (raised.value.status, raised.value.code) == (503, 20503)
    await twilio_client.messages.create_async(to=PLAYER, from_=SENDER, body="hi")

    assert len(twilio.messages) == 1


async def test_a_wrong_auth_token_is_rejected_with_401(twilio: FakeTwilio) -> None:
    async with RedirectingTwilioHttpClient(twilio.base) as http_client:
        client = Client(twilio.account_sid, "wrong", http_client=http_client)
        with pytest.raises(TwilioRestException) as raised:
            await client.messages.create_async(to=PLAYER, from_=SENDER, body="hi")

    assert (raised.value.status, raised.value.code) == (401, 20003)


async def test_a_response_slower_than_the_client_timeout_raises_timeout_error(
    twilio: FakeTwilio, twilio_client: Client
) -> None:
    twilio.delay = 2

    with pytest.raises(TimeoutError):
        await twilio_client.messages.create_async(to=PLAYER, from_=SENDER, body="hi")


async def test_aiogram_get_me_returns_the_fake_bots_identity(bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.is_bot, me.username) == (123456, True, "lucky_draw_test_bot")


async def test_send_message_is_recorded_with_reply_markup_decoded_to_a_dict(
    telegram: FakeBotAPI, bot: Bot
) -> None:
    button = InlineKeyboardButton(text="Enter", callback_data="enter:1")
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[button]])

    message = await bot.send_message(42, "hi", reply_markup=keyboard)

    assert (message.chat.id, message.text) == (42, "hi")
    assert message.reply_markup is not None
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "enter:1"
    [call] = telegram.calls
    assert call.method == "sendMessage"
    assert call.params["chat_id"] == "42"
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Enter", "callback_data": "enter:1"}]]
    }


async def test_a_forced_429_raises_telegram_retry_after(telegram: FakeBotAPI, bot: Bot) -> None:
    telegram.fail_next("sendMessage", status=429, retry_after=3)

    with pytest.raises(TelegramRetryAfter) as raised:
        await bot.send_message(42, "hi")
    await bot.send_message(42, "hi")

    assert raised.value.retry_after == 3


async def test_sending_to_a_blocked_chat_raises_telegram_forbidden_error(
    telegram: FakeBotAPI, bot: Bot
) -> None:
    telegram.blocked_chats.add(42)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(42, "hi")


async def test_get_updates_long_polls_until_an_update_is_pushed_and_drops_it_once_confirmed(
    telegram: FakeBotAPI, bot: Bot
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    pushed = telegram.push_update(
        {
            "callback_query": {
                "id": "7",
                "from": {"id": 42, "is_bot": False, "first_name": "P"},
                "chat_instance": "1",
                "data": "enter:1",
            }
        }
    )

    [update] = await poll
    assert update.update_id == pushed["update_id"]
    assert update.callback_query is not None
    assert update.callback_query.data == "enter:1"
    assert await bot.get_updates(offset=update.update_id + 1) == []
