"""POST /telegram/webhook: the secret, redelivery, and what the Bot API answers back."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from bot.client import open_bot
from bot.fast_draw import draw_message
from tests.bot.conftest import PHONE, SECRET, TelegramUser, telegram_settings
from tests.fakes.bot_api import FakeBotAPI
from tests.helpers import counted, spec, sure_loss, sure_win


async def test_a_wrong_or_missing_secret_gets_403_and_writes_nothing(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_win()))
    before = counted(services.metrics.registry, "telegram", "forbidden")
    assert await ann.share_contact(PHONE.lstrip("+"), secret="wrong") == 403
    assert await ann.send("/draw", secret="s3cret-webhook-toke") == 403
    assert await ann.send("/draw", secret=None) == 403
    assert await services.pool.fetchval("SELECT count(*) FROM customer") == 0
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 0
    assert ann.api.calls == []
    assert counted(services.metrics.registry, "telegram", "forbidden") == before + 3


async def test_a_body_that_is_not_an_update_gets_400(
    client: TestClient[Any, Any], ann: TelegramUser, services: Core
) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook-token"}
    before = counted(services.metrics.registry, "telegram", "not_an_update")
    for body in ("{not json", "[1, 2]", '{"update_id": "many"}'):
        response = await client.post("/telegram/webhook", data=body, headers=headers)
        assert response.status == 400
    assert ann.api.calls == []
    assert counted(services.metrics.registry, "telegram", "not_an_update") == before + 3


async def test_the_same_update_delivered_twice_answers_once(ann: TelegramUser) -> None:
    await ann.linked()
    command = {"text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}
    status, update = await ann.deliver({"message": ann.message(**command)})
    replies = len(ann.sent())
    assert status == 200
    status, _ = await ann.deliver(update)
    assert status == 200
    assert len(ann.sent()) == replies


async def test_a_draw_answers_in_the_webhook_response_and_a_redelivery_replays_it(
    ann: TelegramUser, services: Core, client: TestClient[Any, Any]
) -> None:
    """Telegram sends the reply in the response body itself; if that response was lost,
    its redelivery gets the same answer and never a second draw."""
    await services.campaigns.create(spec(sure_win()))
    await ann.linked()
    calls = len(ann.api.calls)
    update = {"update_id": 777_002, "message": ann.message(text="/draw")}
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook-token"}
    answers = []
    for _ in range(2):
        response = await client.post("/telegram/webhook", json=update, headers=headers)
        assert response.status == 200
        answers.append(await response.json())
    code = await services.pool.fetchval("SELECT code FROM coupon")
    assert answers[0] == answers[1]
    assert answers[0]["method"] == "sendMessage"
    assert answers[0]["chat_id"] == ann.id
    assert f"Your code: {code}" in answers[0]["text"]
    assert len(ann.api.calls) == calls  # no call of our own to the Bot API
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1


async def test_the_same_update_delivered_twice_at_once_draws_once(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_win()))
    await ann.linked()
    update = {"update_id": 777_001, "message": ann.message(text="/draw")}
    statuses = await asyncio.gather(*(ann.deliver(dict(update)) for _ in range(5)))
    assert [status for status, _ in statuses] == [200] * 5
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 1


async def test_a_reply_that_failed_is_redelivered_with_the_same_draw(
    ann: TelegramUser, services: Core
) -> None:
    """The draw is durable before the answer; Telegram's retry replays it, never redraws.

    The Draw button's reply is a Bot API call of ours (the button also needs its answer)."""
    await services.campaigns.create(spec(sure_win()))
    await ann.linked()
    ann.api.fail_next("sendMessage", status=500)
    status, update = await ann.deliver(ann.button_update("draw:WINTER"))
    assert status == 500
    code = await services.pool.fetchval("SELECT code FROM coupon")
    status, _ = await ann.deliver(update)
    assert status == 200
    assert f"Your code: {code}" in ann.last
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1


async def test_a_429_on_the_reply_is_waited_out_and_the_reply_arrives(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    ann.api.fail_next("sendMessage", status=429, retry_after=1)
    assert await ann.press("draw:WINTER") == 200
    assert len(ann.sent()) == 3  # welcome, the refused try, the reply
    assert ann.last.startswith("No prize this time")
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1


async def test_a_user_who_blocked_the_bot_is_marked_and_the_update_is_not_retried(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    ann.api.blocked_chats.add(ann.id)
    assert await ann.press("draw:WINTER") == 200
    customer = await services.customers.get(PHONE)
    assert customer is not None
    assert customer.telegram_blocked
    ann.api.blocked_chats.clear()
    await ann.send("/start")  # what Telegram sends when they unblock
    customer = await services.customers.get(PHONE)
    assert customer is not None
    assert not customer.telegram_blocked


async def test_blocking_and_unblocking_the_bot_is_noted_from_telegrams_notice(
    ann: TelegramUser, services: Core
) -> None:
    await ann.linked()

    def member_update(old: str, new: str) -> dict[str, Any]:
        chat = {"id": ann.id, "type": "private", "first_name": "Ann"}
        return {
            "my_chat_member": {
                "chat": chat,
                "from": ann.user,
                "date": 1_765_339_200,
                "old_chat_member": {"status": old, "user": ann.api.me, "until_date": 0},
                "new_chat_member": {"status": new, "user": ann.api.me, "until_date": 0},
            }
        }

    assert (await ann.deliver(member_update("member", "kicked")))[0] == 200
    customer = await services.customers.get(PHONE)
    assert customer is not None
    assert customer.telegram_blocked
    assert (await ann.deliver(member_update("kicked", "member")))[0] == 200
    customer = await services.customers.get(PHONE)
    assert customer is not None
    assert not customer.telegram_blocked


async def test_a_flood_gets_one_slow_down_answer_then_silence(
    ann: TelegramUser, services: Core
) -> None:
    await ann.linked()
    for _ in range(25):
        assert await ann.send("/help") == 200
    texts = ann.texts()
    assert texts.count("You're sending messages too fast. Please wait a minute and try again.") == 1
    assert len(texts) == 1 + 20 + 1  # linked, 20 commands a minute, one slow down


async def test_groups_are_ignored(ann: TelegramUser) -> None:
    message = ann.message(text="/draw")
    message["chat"] = {"id": -100123, "type": "group", "title": "Friends"}
    status, _ = await ann.deliver({"message": message})
    assert status == 200
    assert ann.api.calls == []


@pytest.mark.parametrize("secret", ["", "has space", "x" * 257, "sécret"])
async def test_webhook_mode_refuses_to_start_with_an_empty_or_malformed_secret(
    services: Core, tg_settings: Settings, bot: Bot, secret: str
) -> None:
    """An empty secret would match an update sent with no secret header at all."""
    settings = tg_settings.model_copy(update={"telegram_webhook_secret": SecretStr(secret)})
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET: 1-256 characters"):
        create_app(settings, services, telegram_bot=bot)


async def test_the_same_update_id_from_another_bot_on_the_database_is_its_own_draw(
    ann: TelegramUser, tg_settings: Settings, services: Core
) -> None:
    """Update ids are unique per bot only: a second bot's update 9000 is not ann's."""
    await services.campaigns.create(spec(sure_win()))
    await ann.linked()
    draw = {"text": "/draw", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}
    await ann.deliver({"update_id": 9_000, "message": ann.message(**draw)})
    ann_code = await services.pool.fetchval("SELECT code FROM coupon")
    other_token = "987654321:AAE-other-bot"
    async with FakeBotAPI(other_token) as other_api, open_bot(other_token, other_api.base) as bot:
        settings = telegram_settings(
            tg_settings, other_api.base, telegram_bot_token=SecretStr(other_token)
        )
        other = create_app(settings, services, telegram_bot=bot)
        async with TestClient(TestServer(other)) as other_client:
            bo = TelegramUser(other_client, other_api, 5_550_003)
            assert await bo.share_contact("85291234568") == 200
            response = await other_client.post(
                "/telegram/webhook",
                json={"update_id": 9_000, "message": bo.message(**draw)},
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            answer = await response.json()
    assert response.status == 200
    assert "Your code:" in answer["text"]
    assert ann_code not in answer["text"]
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 2


async def test_an_update_whose_handling_was_cut_off_is_handled_when_redelivered(
    ann: TelegramUser, client: TestClient[Any, Any]
) -> None:
    """A crash or timeout mid-handling must not make Telegram's redelivery a silent 200."""
    await ann.linked()
    command = {"text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}
    update = {"update_id": 777_003, "message": ann.message(**command)}
    ann.api.stall("sendMessage")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):  # the test server cancels the handler with it
            await client.post(
                "/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
    ann.api.resume()
    before = len(ann.sent())
    status, _ = await ann.deliver(update)
    assert status == 200
    assert len(ann.sent()) == before + 1
    assert "text DRAW once a day" in ann.last or "/draw once a day" in ann.last


async def test_a_draw_answered_by_aiogram_and_by_the_fast_path_reads_the_same(
    ann: TelegramUser, services: Core, client: TestClient[Any, Any]
) -> None:
    """A plain /draw skips aiogram (bot/fast_draw.py); a message with a field the fast path
    does not read goes through aiogram. Its redelivery, plain, replays the same answer."""
    await services.campaigns.create(spec(sure_win()))
    await ann.linked()
    headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook-token"}
    unusual = ann.message(text="/draw", link_preview_options={"is_disabled": True})
    plain = {k: v for k, v in unusual.items() if k != "link_preview_options"}
    answers = []
    for message in (unusual, plain):
        update = {"update_id": 777_003, "message": message}
        response = await client.post("/telegram/webhook", json=update, headers=headers)
        assert response.status == 200
        answers.append(await response.json())
    assert answers[0] == answers[1]
    assert answers[0]["method"] == "sendMessage"
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1


@pytest.mark.parametrize(
    ("text", "chat_type", "fast"),
    [
        ("/draw", "private", True),
        ("/draw  WINTER extra", "private", True),
        ("/draw@lucky_bot", "private", False),  # aiogram checks the mention
        ("/DRAW", "private", False),  # aiogram's Command is case-sensitive
        ("/drawing", "private", False),
        ("/draw", "group", False),
    ],
)
def test_which_updates_take_the_fast_path(text: str, chat_type: str, fast: bool) -> None:
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "from": {"id": 5, "is_bot": False, "first_name": "Ann", "language_code": "zh-hk"},
            "chat": {"id": 5, "type": chat_type},
            "date": 0,
            "text": text,
        },
    }
    found = draw_message(update)
    assert (found is not None) is fast
    if found is not None:
        assert found.keyword == (text.split()[1] if len(text.split()) > 1 else None)
        assert found.language_code == "zh-hk"
