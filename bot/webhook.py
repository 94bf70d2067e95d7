"""POST /telegram/webhook: checked secret, the update handled before the answer, once.

aiogram's SimpleRequestHandler answers before the handlers run and 401 to a bad secret;
here the draw is durable (and the reply sent) before Telegram gets its 200, and a wrong
secret gets 403.

A handler may return its reply as a Bot API method instead of calling it (the /draw
reply does): it then goes back in the response body, which Telegram executes itself, so
the reply costs no second HTTP call. Such a reply must be a draw's: if the response is lost,
Telegram's redelivery draws again with the same request id and gets the same answer, so
draws skip the redelivery claim.

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
) -> None:
    expected = secret.encode()

    async def telegram_webhook(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            return web.json_response({"error": "forbidden"}, status=403)
        try:
            update = Update.model_validate(orjson.loads(await request.read()), context={"bot": bot})
        except (ValueError, ValidationError):  # orjson.JSONDecodeError is a ValueError
            return web.json_response({"error": "not a Telegram update"}, status=400)
        key = f"telegram:{bot.id}:{update.update_id}"  # update ids are unique per bot only
        replays = is_draw_command(update)  # its request id makes a redelivery a replay
        if not replays and await dedupe.seen(key):
            log.info("telegram_update_redelivered", update_id=update.update_id)
            return web.json_response({})
        scope = Deadline.after(deadline_seconds)
        try:
            reply = await scope.run(dispatcher.feed_update(bot, update))
        except TimeoutError:
            # Never sent: nothing was drawn, "try again" is true. Sent: PostgreSQL commits
            # nothing that reaches it past the deadline, but a draw that committed just
            # before may have lost its answer; the next /draw restates it.
            reason = "unconfirmed" if scope.sent else "deadline"
            log.warning("telegram_update_deadline", update_id=update.update_id, reason=reason)
            apologised(reason)
            apology = _apology(update, reason)
            return web.json_response(_in_body(bot, apology) if apology else {})
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


def _apology(update: Update, reason: str) -> SendMessage | None:
    """The apology for `reason`, to the private chat the update came from."""
    if update.message is not None:
        user, chat_id = update.message.from_user, update.message.chat.id
    elif update.callback_query is not None:
        user = update.callback_query.from_user
        chat_id = user.id  # private chats only: the chat id is the user's id
    else:
        return None
    key = "error.unconfirmed" if reason == "unconfirmed" else "error.temporary"
    language = telegram_language(user.language_code if user else None)  # no database here
    return SendMessage(chat_id=chat_id, text=text(key, language))


def _in_body(bot: Bot, method: TelegramMethod[Any]) -> dict[str, Any]:
    """A Bot API call as the webhook's JSON answer: `method` plus its parameters."""
    params = {
        key: bot.session.prepare_value(value, bot=bot, files={}, _dumps_json=False)
        for key, value in method.model_dump(warnings=False).items()
    }
    return {"method": method.__api_method__} | {k: v for k, v in params.items() if v is not None}
