"""Anything no feature took: a one-line hint, never an error."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.texts import text
from core.model import Language


def create_router() -> Router:
    router = Router(name="fallback")
    router.message.register(hint)
    router.callback_query.register(stale_button)
    return router


async def hint(message: Message, language: Language) -> None:
    await message.answer(text("hint", language))


async def stale_button(query: CallbackQuery) -> None:
    """A button from an old message this version no longer knows: just stop its spinner."""
    await query.answer()
