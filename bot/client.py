"""The Bot object: pointed at any Bot API server, riding out short flood waits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

# Longer waits are not slept through: a webhook reply fails (Telegram redelivers, the draw
# is replayed) and an outbox message is rescheduled.
MAX_RETRY_WAIT_SECONDS = 5.0


class WaitOnRetryAfter(BaseRequestMiddleware):
    """Honours a 429's `retry_after` once when it is short."""

    def __init__(self, max_wait: float = MAX_RETRY_WAIT_SECONDS) -> None:
        self._max_wait = max_wait

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as exc:
            if exc.retry_after > self._max_wait:
                raise
            await asyncio.sleep(exc.retry_after)
            return await make_request(bot, method)


def create_bot(token: str, api_base: str, *, timeout: float = 10.0) -> Bot:
    """A bot talking to `api_base` (Telegram's, a local Bot API server, or a test fake)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base), timeout=timeout)
    session.middleware(WaitOnRetryAfter())
    return Bot(token, session=session)


@asynccontextmanager
async def open_bot(token: str, api_base: str) -> AsyncIterator[Bot]:
    """`create_bot`, closing its HTTP session on the way out."""
    bot = create_bot(token, api_base)
    try:
        yield bot
    finally:
        await bot.session.close()
