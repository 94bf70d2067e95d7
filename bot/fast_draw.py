"""A linked customer's `/draw [KEYWORD]` without aiogram: the launch-day hot path.

For every update aiogram validates the whole JSON into pydantic models, runs the middleware
and tries each router's filters in turn. A plain `/draw` in a private chat needs five fields
of the JSON, so the webhook reads them itself and answers as the play router would (the
reply in the response body, refusals as the errors router sends them). Anything else, or
anything unusual about it (a mention, a topic, an unlinked user), goes to aiogram as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError

from bot.identity import telegram_language
from bot.routers.play import request_id
from bot.texts import draw_text, refusal_reply
from core.errors import LuckyDrawError
from core.model import Channel
from core.services.draws import DrawService, SpamGuard
from core.services.people import CustomerService

# What the fast path reads; a message with any other field goes to aiogram.
_MESSAGE_FIELDS = {"message_id", "from", "chat", "date", "text", "entities"}


@dataclass(frozen=True, slots=True)
class DrawMessage:
    update_id: int
    chat_id: int
    user_id: int
    language_code: str | None
    keyword: str | None


def draw_message(update: Any) -> DrawMessage | None:
    """The update, if it is a private text message `/draw` or `/draw KEYWORD`; else None."""
    if not isinstance(update, dict) or update.keys() != {"update_id", "message"}:
        return None
    message = update["message"]
    if not isinstance(message, dict) or not message.keys() <= _MESSAGE_FIELDS:
        return None
    chat, sender, text = message.get("chat"), message.get("from"), message.get("text")
    if not (isinstance(chat, dict) and isinstance(sender, dict) and isinstance(text, str)):
        return None
    words = text.split()
    # aiogram's Command("draw") is case-sensitive; `/draw@bot` is left to it.
    if not words or words[0] != "/draw" or chat.get("type") != "private":
        return None
    update_id, chat_id, user_id = update["update_id"], chat.get("id"), sender.get("id")
    if not (type(update_id) is type(chat_id) is type(user_id) is int):
        return None
    if sender.get("is_bot") is not False:
        return None
    language = sender.get("language_code")
    return DrawMessage(
        update_id=update_id,
        chat_id=chat_id,
        user_id=user_id,
        language_code=language if isinstance(language, str) else None,
        keyword=words[1] if len(words) > 1 else None,
    )


class FastDraw:
    def __init__(
        self, bot: Bot, draws: DrawService, customers: CustomerService, spam: SpamGuard
    ) -> None:
        self._bot = bot
        self._draws = draws
        self._customers = customers
        self._spam = spam

    async def answer(self, message: DrawMessage) -> dict[str, Any] | None:
        """The webhook's response body; None when aiogram should handle the update."""
        link = await self._customers.telegram_link(message.user_id)
        if link is None:
            return None  # onboarding asks for the phone
        language = link.language or telegram_language(message.language_code)
        try:
            result = await self._draws.draw(
                link.phone,
                Channel.TELEGRAM,
                message.keyword,
                request_id(self._bot.id, message.update_id),
                spam=self._spam,
            )
        except LuckyDrawError as exc:
            reply = refusal_reply(exc, language, message.keyword)
            if reply is None:
                return {}
            try:
                await self._bot.send_message(message.user_id, reply[0], reply_markup=reply[1])
            except TelegramForbiddenError:
                await self._customers.telegram_blocked(link.phone)
            return {}
        return {
            "method": "sendMessage",
            "chat_id": message.chat_id,
            "text": draw_text(result, language),
        }
