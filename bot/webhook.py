"""POST /telegram/webhook: checked secret, the update handled before the answer, once.

aiogram's SimpleRequestHandler answers before the handlers run and 401 to a bad secret;
here the draw is durable (and the reply sent) before Telegram gets its 200, and a wrong
secret gets 403.

A handler may return its reply as a Bot API method instead of calling it (the /draw
reply does): it then goes back in the response body, which Telegram executes itself, so
the reply costs no second HTTP call. Such a reply must be a draw's: if the response is lost,
Telegram's redelivery draws again with the same request id and gets the same answer, so
draws skip the redelivery claim. A linked customer's plain /draw skips aiogram
(bot/fast_draw.py) and gets the same answer.

Like Twilio's, each update has one deadline (WEBHOOK_DEADLINE_SECONDS) over every wait
inside it; when it passes the answer is a true apology: "try again" when no draw left for
PostgreSQL, "could not confirm, /draw again to see your result" when one did (PostgreSQL
commits nothing it receives past the deadline, and a repeat /draw restates the day's draw).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

import orjson
import structlog
from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from bot.fast_draw import FastDraw, draw_message
from bot.identity import is_draw_command, telegram_language
from bot.texts import text
from core.deadline import Deadline
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
    *,
    deadline_seconds: float = 8.0,
    # Counts each apology by reason ("deadline", "unconfirmed"); the app wires it to /metrics.
    apologised: Callable[[str], None] = lambda reason: None,
    # Reports each call refused by reason (forbidden, not_an_update): logged and counted.
    refused: Callable[[str], None] = lambda reason: None,
    # A linked customer's plain /draw skips aiogram (bot/fast_draw.py).
    fast_draw: FastDraw | None = None,
) -> None:
    expected = secret.encode()

    def timed_out(
        scope: Deadline, update_id: int, to: tuple[int, str | None] | None
    ) -> web.Response:
        # Never sent: nothing was drawn, "try again" is true. Sent: PostgreSQL commits
        # nothing that reaches it past the deadline, but a draw that committed just
        # before may have lost its answer; the next /draw restates it.
        reason = "unconfirmed" if scope.sent else "deadline"
        log.warning("telegram_update_deadline", update_id=update_id, reason=reason)
        apologised(reason)
        return web.json_response(_in_body(bot, _apology(*to, reason)) if to else {})

    async def telegram_webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            refused("forbidden")
            return web.json_response({"error": "forbidden"}, status=403)
        try:
            data = orjson.loads(await request.read())
        except ValueError:  # orjson.JSONDecodeError is a ValueError
            refused("not_an_update")
            return _not_an_update()
        scope = Deadline.after(deadline_seconds)
        fast = draw_message(data) if fast_draw is not None else None
        if fast is not None and fast_draw is not None:
            try:
                body = await scope.run(fast_draw.answer(fast))
            except TimeoutError:
                return timed_out(scope, fast.update_id, (fast.chat_id, fast.language_code))
            except Exception:
                log.exception("telegram_update_failed", update_id=fast.update_id)
                return web.json_response({"error": "try again"}, status=500)
            if body is not None:
                return web.json_response(body)
        try:
            update = Update.model_validate(data, context={"bot": bot})
        except ValidationError:
            refused("not_an_update")
            return _not_an_update()
        key = f"telegram:{bot.id}:{update.update_id}"  # update ids are unique per bot only
        replays = is_draw_command(update)  # its request id makes a redelivery a replay
        if not replays and await dedupe.seen(key):
            log.info("telegram_update_redelivered", update_id=update.update_id)
            return web.json_response({})
        try:
            reply = await scope.run(dispatcher.feed_update(bot, update))
        except TimeoutError:
            return timed_out(scope, update.update_id, _sender(update))
        except Exception:
            # Let Telegram redeliver: draws and redemptions replay by request id.
            log.exception("telegram_update_failed", update_id=update.update_id)
            return web.json_response({"error": "try again"}, status=500)
        # Only once handled: a crash or timeout midway leaves the redelivery to run again.
        if not replays:
            await dedupe.remember(key, SEEN_SECONDS)
        if isinstance(reply, TelegramMethod):
            return web.json_response(_in_body(bot, reply))
        return web.json_response({})

    app.router.add_post(PATH, telegram_webhook)


def _not_an_update() -> web.Response:
    return web.json_response({"error": "not a Telegram update"}, status=400)


def _sender(update: Update) -> tuple[int, str | None] | None:
    """The private chat the update came from, and its sender's language code."""
    if update.message is not None:
        user = update.message.from_user
        return update.message.chat.id, user.language_code if user else None
    if update.callback_query is not None:
        user = update.callback_query.from_user
        return user.id, user.language_code  # private chats only: the chat id is the user's id
    return None


def _apology(chat_id: int, language_code: str | None, reason: str) -> SendMessage:
    """The apology for `reason`, in the Telegram app's language (no database here)."""
    key = "error.unconfirmed" if reason == "unconfirmed" else "error.temporary"
    return SendMessage(chat_id=chat_id, text=text(key, telegram_language(language_code)))


def _in_body(bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
    """A Bot API call as the webhook's JSON answer: `method` plus its parameters."""
    params = {
        key: bot.session.prepare_value(value, bot=bot, files={}, _dumps_json=False)
        for key, value in method.model_dump(warnings=False).items()
    }
    return {"method": method.__api_method__} | {k: v for k, v in params.items() if v is not None}
