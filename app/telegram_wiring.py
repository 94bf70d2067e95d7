"""The Telegram channel, built from the core: webhook route or polling, and its CLI."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import structlog
from aiogram import Bot, Dispatcher
from aiohttp import web

from app.bootstrap import Core
from app.settings import ConfigurationError, Settings
from bot.client import open_bot
from bot.dispatcher import ALLOWED_UPDATES, create_dispatcher
from bot.fast_draw import FastDraw
from bot.webhook import PATH, add_webhook_route
from db.dedupe import RedisDeduplicator

log = structlog.get_logger(__name__)


def telegram_dispatcher(core: Core) -> Dispatcher:
    return create_dispatcher(
        draws=core.draws,
        customers=core.customers,
        redemptions=core.redemptions,
        campaigns=core.campaigns,
        rules=core.rules,
        proofs=core.proofs,
        spam=core.spam,
        telemetry=core.telemetry,
    )


def add_telegram(app: web.Application, settings: Settings, core: Core, bot: Bot) -> None:
    """The webhook route, or polling for the app's life (TELEGRAM_MODE)."""
    dispatcher = telegram_dispatcher(core)
    if settings.telegram_mode == "polling":
        app.cleanup_ctx.append(_polling(dispatcher, bot))
        return
    add_webhook_route(
        app,
        dispatcher,
        bot,
        settings.webhook_secret(),
        RedisDeduplicator(core.redis),
        deadline_seconds=settings.webhook_deadline_seconds,
        apologised=lambda reason: core.metrics.apologies.labels("telegram", reason).inc(),
        refused=lambda reason: core.telemetry.refused("telegram", reason, path=PATH),
        fast_draw=FastDraw(bot, core.draws, core.customers, core.spam),
    )


def _polling(
    dispatcher: Dispatcher, bot: Bot
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def polling(app: web.Application) -> AsyncIterator[None]:
        await bot.delete_webhook()  # Telegram refuses getUpdates while a webhook is set
        task = asyncio.create_task(
            dispatcher.start_polling(
                bot,
                handle_signals=False,  # the serve process owns the signals
                close_bot_session=False,  # open_channels closes it
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        log.info("telegram_polling")
        yield
        # Cancelling start_polling's task would leave its inner polling task running (aiogram
        # cancels that one only when told to stop), polling on with a fresh HTTP session.
        try:
            await dispatcher.stop_polling()
        except RuntimeError:  # not started yet: cancelled now, it never will
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return polling


async def set_webhook(settings: Settings) -> str:
    """Tell Telegram to POST updates to PUBLIC_BASE_URL/telegram/webhook with the secret."""
    token = settings.telegram_bot_token
    if token is None:
        raise ConfigurationError("set TELEGRAM_BOT_TOKEN first")
    secret = settings.webhook_secret()
    url = settings.public_base_url.rstrip("/") + PATH
    async with open_bot(token.get_secret_value(), settings.telegram_api_base) as bot:
        await bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
    return url
