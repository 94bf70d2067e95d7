"""The outbox's Telegram sender: reminders with a Draw button, 429 and 403 from the Bot API."""

from __future__ import annotations

import dataclasses

import pytest

from app.bootstrap import Core
from bot.sender import TelegramSender
from core.errors import RecipientUnreachable, SendFailed
from core.model import Channel, Language, MessageKind, OutgoingMessage
from tests.bot.conftest import PHONE, TelegramUser


def reminder(chat_id: int, language: Language | None = None) -> OutgoingMessage:
    return OutgoingMessage(
        id=1,
        customer_id=1,
        channel=Channel.TELEGRAM,
        kind=MessageKind.REMINDER,
        body="Your daily Winter Lucky Draw is open: tap Draw.",
        phone=PHONE,
        telegram_chat_id=chat_id,
        campaign_keyword="WINTER",
        language=language,
    )


async def test_a_reminder_carries_a_draw_button_that_draws(
    ann: TelegramUser, sender: TelegramSender
) -> None:
    await ann.linked()
    message_id = await sender.send(reminder(ann.id, Language.ZH_HANT))
    sent = ann.sent()[-1]
    assert message_id is not None
    assert sent["text"] == "Your daily Winter Lucky Draw is open: tap Draw."
    button = sent["reply_markup"]["inline_keyboard"][0][0]
    assert button == {"text": "抽獎", "callback_data": "draw:WINTER"}


async def test_a_coupon_message_has_no_button(ann: TelegramUser, sender: TelegramSender) -> None:
    message = reminder(ann.id)
    coupon = dataclasses.replace(message, kind=MessageKind.COUPON)
    await sender.send(coupon)
    assert "reply_markup" not in ann.sent()[-1]


async def test_a_long_429_is_handed_back_to_the_outbox_with_its_retry_after(
    ann: TelegramUser, sender: TelegramSender
) -> None:
    ann.api.fail_next("sendMessage", status=429, retry_after=30)
    with pytest.raises(SendFailed) as failed:
        await sender.send(reminder(ann.id))
    assert failed.value.retry_after == 30


async def test_a_short_429_is_waited_out(ann: TelegramUser, sender: TelegramSender) -> None:
    ann.api.fail_next("sendMessage", status=429, retry_after=1)
    assert await sender.send(reminder(ann.id)) is not None
    assert len(ann.sent()) == 2  # the refused attempt and the delivered one


async def test_a_blocked_bot_marks_the_customer_unreachable_on_telegram(
    ann: TelegramUser, sender: TelegramSender, services: Core
) -> None:
    await ann.linked()
    ann.api.blocked_chats.add(ann.id)
    with pytest.raises(RecipientUnreachable):
        await sender.send(reminder(ann.id))
    customer = await services.customers.get(PHONE)
    assert customer is not None
    assert customer.telegram_blocked


async def test_a_customer_without_a_chat_is_unreachable(sender: TelegramSender) -> None:
    message = dataclasses.replace(reminder(1), telegram_chat_id=None)
    with pytest.raises(RecipientUnreachable):
        await sender.send(message)
