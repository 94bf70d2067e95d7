"""Fake Twilio Messages API (2010-04-01), faithful enough for the real twilio SDK."""

import asyncio
import secrets
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http import HTTPStatus

from aiohttp import encode_basic_auth, web

from . import FakeServer

API_VERSION = "2010-04-01"


@dataclass(frozen=True)
class SentMessage:
    sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None


def _error(status: int, code: int, message: str) -> web.Response:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return web.json_response(body, status=status)


def _segments(body: str) -> int:
    # Approximation: treats ASCII as GSM-7 (160/153 chars per segment) and
    # anything else as UCS-2 (70/67); concatenated parts lose room to a header.
    single, part = (160, 153) if body.isascii() else (70, 67)
    return 1 if len(body) <= single else -(-len(body) // part)


class FakeTwilio(FakeServer):
    """``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with basic auth."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        port: int = 0,
        delay: float = 0.0,
    ) -> None:
        super().__init__(port)
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.delay = delay  # seconds to wait before answering each request
        self.opted_out: set[str] = set()  # recipients answered with error 21610
        self.messages: list[SentMessage] = []  # accepted requests only
        self._failures: deque[int] = deque()

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` authenticated requests with HTTP ``status``."""
        self._failures.extend([status] * times)

    def _routes(self) -> list[web.RouteDef]:
        path = f"/{API_VERSION}/Accounts/{{account_sid}}/Messages.json"
        return [web.post(path, self._create_message)]

    async def _create_message(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.delay)
        credentials = encode_basic_auth(self.account_sid, self.auth_token)
        if (
            request.headers.get("Authorization") != credentials
            or request.match_info["account_sid"] != self.account_sid
        ):
            return _error(401, 20003, "Authenticate")
        if self._failures:
            status = self._failures.popleft()
            # Twilio's generic HTTP errors are numbered 20000 + status (20429, 20500…).
            return _error(status, 20000 + status, HTTPStatus(status).phrase)

        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        to, from_, service = form.get("To"), form.get("From"), form.get("MessagingServiceSid")
        body = form.get("Body")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return _error(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if to in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")

        sid = "SM" + secrets.token_hex(16)
        self.messages.append(SentMessage(sid, to, from_, service, body, form.get("StatusCallback")))
        now = format_datetime(datetime.now(UTC))
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        # Via a Messaging Service Twilio has not picked a sender yet: the message
        # is "accepted" with 0 segments rather than "queued".
        message = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": str(0 if service else _segments(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "accepted" if service else "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        return web.json_response(message, status=201)
