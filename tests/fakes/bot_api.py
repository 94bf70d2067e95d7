"""Fake Telegram Bot API, faithful enough for aiogram's AiohttpSession."""

import asyncio
import json
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from aiohttp import web

from . import FakeServer

Params = dict[str, Any]

# Parameters Telegram expects as JSON-serialised objects inside the form.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
    }
)
# Long polls are cut short so a forgotten getUpdates cannot stall a test run.
_MAX_POLL_SECONDS = 5.0


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: Params


class _ApiError(Exception):
    def __init__(self, status: int, description: str, **parameters: int) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def response(self) -> web.Response:
        body: Params = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.status)


def _chat_id(params: Params) -> int | str:
    raw = str(params.get("chat_id", ""))
    return int(raw) if raw.lstrip("-").isdigit() else raw


class FakeBotAPI(FakeServer):
    """``POST /bot{token}/{method}`` for the handful of methods the app uses."""

    def __init__(self, token: str, *, username: str = "lucky_draw_test_bot", port: int = 0) -> None:
        super().__init__(port)
        self.token = token
        self.me: Params = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Lucky Draw",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[ApiCall] = []  # known methods with a valid token, incl. failed
        self.blocked_chats: set[int | str] = set()  # sendMessage answers 403
        self.webhook_url = ""
        self._updates: deque[Params] = deque()
        self._next_update_id = 1
        self._update_pushed = asyncio.Event()
        self._message_ids = 0
        self._failures: defaultdict[str, deque[_ApiError]] = defaultdict(deque)
        self._stalled: set[str] = set()  # methods whose calls wait until resumed
        self._resumed = asyncio.Event()
        self._methods: dict[str, Callable[[Params], Awaitable[Any]]] = {
            "getme": self._get_me,
            "sendmessage": self._send_message,
            "answercallbackquery": self._ok,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getupdates": self._get_updates,
            # Real Telegram returns the edited Message here; aiogram also accepts
            # True, which spares the fake from remembering what it sent.
            "editmessagereplymarkup": self._ok,
        }

    def fail_next(
        self, method: str, status: int = 429, retry_after: int = 1, times: int = 1
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with HTTP ``status``."""
        if status == HTTPStatus.TOO_MANY_REQUESTS:
            error = _ApiError(
                status, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after
            )
        else:
            error = _ApiError(status, HTTPStatus(status).phrase)
        self._failures[method.lower()].extend([error] * times)

    def stall(self, method: str) -> None:
        """Calls of ``method`` hang (after being recorded) until ``resume``."""
        self._stalled.add(method.lower())
        self._resumed.clear()

    def resume(self) -> None:
        self._stalled.clear()
        self._resumed.set()

    def push_update(self, update: Params) -> Params:
        """Queue an update (``update_id`` is assigned) for the next getUpdates."""
        update = {"update_id": self._next_update_id, **update}
        self._next_update_id = update["update_id"] + 1
        self._updates.append(update)
        self._update_pushed.set()
        return update

    def _routes(self) -> list[web.RouteDef]:
        return [web.post("/bot{token}/{method}", self._dispatch)]

    async def _dispatch(self, request: web.Request) -> web.Response:
        # Telegram method names are case-insensitive.
        method = request.match_info["method"].lower()
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            handler = self._methods.get(method)
            if handler is None:
                raise _ApiError(404, "Not Found")
            params: Params = {
                k: json.loads(v) if k in _JSON_PARAMS else v
                for k, v in (await request.post()).items()
                if isinstance(v, str)
            }
            self.calls.append(ApiCall(request.match_info["method"], params))
            if method in self._stalled:
                await self._resumed.wait()
            if self._failures[method]:
                raise self._failures[method].popleft()
            result = await handler(params)
        except _ApiError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    async def _get_me(self, params: Params) -> Params:
        return self.me

    async def _send_message(self, params: Params) -> Params:
        chat_id = _chat_id(params)
        if chat_id in self.blocked_chats:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        if not params.get("text"):
            raise _ApiError(400, "Bad Request: message text is empty")
        self._message_ids += 1
        message: Params = {
            "message_id": self._message_ids,
            "from": self.me,
            "chat": {"id": chat_id, "type": "private", "first_name": "Player"},
            "date": int(time.time()),
            "text": params["text"],
        }
        # Telegram echoes only inline keyboards back on the message.
        if "inline_keyboard" in params.get("reply_markup", {}):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _ok(self, params: Params) -> bool:
        return True

    async def _set_webhook(self, params: Params) -> bool:
        self.webhook_url = params.get("url", "")
        return True

    async def _delete_webhook(self, params: Params) -> bool:
        self.webhook_url = ""
        return True

    async def _get_updates(self, params: Params) -> list[Params]:
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        # Like Telegram, asking for an offset confirms every earlier update.
        offset = int(params.get("offset", 0))
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        if not self._updates:
            self._update_pushed.clear()
            timeout = min(float(params.get("timeout", 0)), _MAX_POLL_SECONDS)
            try:
                await asyncio.wait_for(self._update_pushed.wait(), timeout)
            except TimeoutError:
                return []
        return list(self._updates)[: int(params.get("limit", 100))]
