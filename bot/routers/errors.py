"""Refusals from the core become replies here, in one place; so does a blocked bot.

Anything else propagates: the webhook answers 500 and Telegram redelivers the update,
which the request id turns into a replay rather than a second draw.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Update

from bot.keyboards import DrawButton
from bot.texts import refusal_reply
from core.errors import LuckyDrawError, RedemptionRefused
from core.model import Customer, Language
from core.ports import Telemetry
from core.services.campaigns import CampaignService
from core.services.people import CustomerService


def create_router() -> Router:
    router = Router(name="errors")
    router.errors.register(refused, ExceptionTypeFilter(LuckyDrawError))
    router.errors.register(bot_blocked, ExceptionTypeFilter(TelegramForbiddenError))
    return router


async def refused(
    event: ErrorEvent,
    bot: Bot,
    campaigns: CampaignService,
    telemetry: Telemetry,
    language: Language = Language.EN,
) -> None:
    exc = event.exception
    assert isinstance(exc, LuckyDrawError)
    update = event.update
    command = _command(update)
    # A draw's and a redemption's refusals are logged and counted by their use case.
    if command not in ("draw", "redeem"):
        telemetry.refused("telegram", exc.code, command=command)
    if update.callback_query is not None:
        await update.callback_query.answer()
    user_id = _user_id(update)
    if user_id is None:
        return
    # The till reads a refused redemption's dates in the home campaign's zone.
    home = await campaigns.home() if isinstance(exc, RedemptionRefused) else None
    reply = refusal_reply(exc, language, _keyword(update), home)
    if reply is None:
        return
    await bot.send_message(user_id, reply[0], reply_markup=reply[1])


async def bot_blocked(
    event: ErrorEvent, customers: CustomerService, customer: Customer | None = None
) -> None:
    """The user blocked the bot while we answered: note it, and expect no redelivery."""
    if customer is not None:
        await customers.telegram_blocked(customer.phone)


def _user_id(update: Update) -> int | None:
    """Private chats only (the middleware drops the rest): the chat id is the user's id."""
    if update.message is not None and update.message.from_user is not None:
        return update.message.from_user.id
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    return None


def _command(update: Update) -> str:
    """The command refused ("draw" for the Draw button), for the log line."""
    if update.message is not None and update.message.text:
        return update.message.text.split()[0].lstrip("/").split("@")[0].lower()[:20]
    return "draw" if update.callback_query is not None else "message"


def _keyword(update: Update) -> str | None:
    """The campaign keyword the user asked for, to name it in "no such draw"."""
    if update.message is not None and update.message.text:
        words = update.message.text.split()
        return words[1] if len(words) > 1 else None
    if update.callback_query is not None and update.callback_query.data:
        try:
            return DrawButton.unpack(update.callback_query.data).keyword
        except (TypeError, ValueError):
            return None
    return None
