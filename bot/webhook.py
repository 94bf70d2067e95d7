"""POST /telegram/webhook: checked secret, the update handled before the answer, once.

aiogram's SimpleRequestHandler answers before the handlers run and 401 to a bad secret;
here the draw is durable (and the reply sent) before Telegram gets its 200, and a wrong
secret gets 403.
"""

from __future__ import annotations

import hmac

import structlog
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from core.ports import Deduplicator

log = structlog.get_logger(__name__)

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Telegram gives up on an update after about a day; remember ids as long.
SEEN_SECONDS = 24 * 3600


def add_webhook_route(
    app: web.Application,
    dispatcher: Dispatcher,
    bot: Bot,
    secret: str,
    dedupe: Deduplicator,
) -> None:
    expected = secret.encode()

    async def telegram_webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.json_response({"error": "forbidden"}, status=403)
        try:
            update = Update.model_validate(await request.json(), context={"bot": bot})
        except (ValueError, ValidationError):
            return web.json_response({"error": "not a Telegram update"}, status=400)
        key = f"telegram:{bot.id}:{update.update_id}"  # update ids are unique per bot only
        if not await dedupe.claim(key, SEEN_SECONDS):
            log.info("telegram_update_redelivered", update_id=update.update_id)
            return web.json_response({})
        try:
            await dispatcher.feed_update(bot, update)
        except Exception:
            # Let Telegram redeliver: draws and redemptions replay by request id.
            await dedupe.release(key)
            log.exception("telegram_update_failed", update_id=update.update_id)
            return web.json_response({"error": "try again"}, status=500)
        return web.json_response({})

    app.router.add_post(PATH, telegram_webhook)
