"""The outbox's Telegram sender: reminders (with a Draw button) and coupon codes."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from bot.keyboards import draw_buttons
from core.errors import RecipientUnreachable, SendFailed
from core.model import Language, MessageKind, OutgoingMessage
from core.services.people import CustomerService


class TelegramSender:
    """core.ports.Sender for Channel.TELEGRAM; answers Telegram's message id."""

    def __init__(self, bot: Bot, customers: CustomerService) -> None:
        self._bot = bot
        self._customers = customers

    async def send(self, message: OutgoingMessage) -> str | None:
        if message.telegram_chat_id is None:
            raise RecipientUnreachable(f"outbox message {message.id}: no Telegram chat")
        try:
            sent = await self._bot.send_message(
                message.telegram_chat_id, message.body, reply_markup=_markup(message)
            )
        except TelegramRetryAfter as exc:  # longer than the bot's own short wait
            raise SendFailed(str(exc), retry_after=exc.retry_after) from exc
        except TelegramForbiddenError as exc:  # blocked the bot, or deleted their account
            await self._customers.telegram_blocked(message.phone)
            raise RecipientUnreachable(str(exc)) from exc
        except TelegramBadRequest as exc:  # "chat not found": never talked to the bot
            raise RecipientUnreachable(str(exc)) from exc
        except (TelegramServerError, TelegramNetworkError) as exc:
            raise SendFailed(str(exc)) from exc
        return str(sent.message_id)


def _markup(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    if message.kind is MessageKind.REMINDER and message.campaign_keyword:
        return draw_buttons([message.campaign_keyword], message.language or Language.EN)
    return None
