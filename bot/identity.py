"""Who is writing: the linked customer (if any), their language, and the flood guard."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.enums import ChatType
from aiogram.types import TelegramObject, Update, User

from core.languages import own_language
from core.model import Customer, Language
from core.services.draws import SpamGuard
from core.services.people import CustomerService


def telegram_language(code: str | None) -> Language:
    """Telegram's `language_code` (IETF tag): any Chinese reads Traditional, else English."""
    if code and code.lower().startswith("zh"):
        return Language.ZH_HANT
    return Language.EN


def language_of(customer: Customer | None, user: User | None) -> Language:
    """A choice made with /lang (or by SMS) wins over the Telegram app's language."""
    return own_language(customer, telegram_language(user.language_code if user else None))


def spam_key(customer: Customer | None, user: User) -> str:
    """The phone's own counter (shared with SMS) once linked, the account's before."""
    return customer.phone if customer else f"telegram:{user.id}"


def is_draw_command(update: Update) -> bool:
    """A `/draw [keyword]` message (also `/draw@our_bot`)."""
    text = update.message.text if update.message is not None else None
    if not text:
        return False
    return text.split(maxsplit=1)[0].split("@")[0].lower() == "/draw"


class CustomerMiddleware(BaseMiddleware):
    """Puts `customer` and `language` into the handler data of every private update.

    Messages and button presses count against the flood guard before any command runs;
    a linked customer's /draw is counted by the draw itself (`spam` in the handler data),
    in the same Redis round trip that recalls today's draw.
    Updates from groups and channels are dropped: the bot is a one-to-one service.
    """

    def __init__(self, customers: CustomerService, spam: SpamGuard) -> None:
        self._customers = customers
        self._spam = spam

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        user: User | None = data.get("event_from_user")
        chat = data.get("event_chat")
        if user is None or (chat is not None and chat.type != ChatType.PRIVATE):
            return None
        customer = await self._customers.telegram_customer(user.id)
        data["customer"] = customer
        data["language"] = language_of(customer, user)
        if customer is not None and is_draw_command(event):
            data["spam"] = self._spam
        elif event.message is not None or event.callback_query is not None:
            await self._spam.check(spam_key(customer, user))
        return await handler(event, data)
