"""Fake Twilio API (2010-04-01): Messages and IncomingPhoneNumbers, faithful enough for the
real twilio SDK."""

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


# Fields of an IncomingPhoneNumber that an update may set (form names as Twilio takes them).
NUMBER_FIELDS = {
    "SmsUrl": "sms_url",
    "SmsMethod": "sms_method",
    "SmsFallbackUrl": "sms_fallback_url",
    "SmsApplicationSid": "sms_application_sid",
    "StatusCallback": "status_callback",
    "FriendlyName": "friendly_name",
}


class FakeTwilio(FakeServer):
    """``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``, and reading and updating
    ``IncomingPhoneNumbers``, with basic auth."""

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
        # I-Twilio-Idempotency-Token of every message request, refused ones too.
        self.idempotency_tokens: list[str | None] = []
        self.numbers: dict[str, dict[str, object]] = {}  # IncomingPhoneNumbers by PN… sid
        self._failures: deque[int] = deque()

    def add_number(self, phone_number: str, **fields: object) -> str:
        """Provision a number in the fake account (sms_url etc. as given); returns its sid."""
        sid = "PN" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC))
        self.numbers[sid] = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "capabilities": {"sms": True, "mms": False, "voice": True, "fax": False},
            "date_created": now,
            "date_updated": now,
            "friendly_name": phone_number,
            "phone_number": phone_number,
            "sid": sid,
            "sms_application_sid": "",
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": "POST",
            "sms_url": "",
            "status_callback": "",
            "status_callback_method": "POST",
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers/{sid}.json",
            **fields,
        }
        return sid

    def fail_next(self, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` authenticated requests with HTTP ``status``."""
        self._failures.extend([status] * times)

    def _routes(self) -> list[web.RouteDef]:
        account = f"/{API_VERSION}/Accounts/{{account_sid}}"
        return [
            web.post(f"{account}/Messages.json", self._create_message),
            web.get(f"{account}/IncomingPhoneNumbers.json", self._list_numbers),
            web.post(f"{account}/IncomingPhoneNumbers/{{sid}}.json", self._update_number),
        ]

    async def _refusal(self, request: web.Request) -> web.Response | None:
        """Delay, then the answer to a bad login or a queued failure, if any."""
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
        return None

    async def _list_numbers(self, request: web.Request) -> web.Response:
        if refused := await self._refusal(request):
            return refused
        wanted = request.query.get("PhoneNumber")
        found = [n for n in self.numbers.values() if wanted in (None, n["phone_number"])]
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/IncomingPhoneNumbers.json"
        page = {
            "incoming_phone_numbers": found,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": max(len(found) - 1, 0),
            "uri": uri,
            "first_page_uri": uri,
            "next_page_uri": None,
            "previous_page_uri": None,
        }
        return web.json_response(page)

    async def _update_number(self, request: web.Request) -> web.Response:
        if refused := await self._refusal(request):
            return refused
        number = self.numbers.get(request.match_info["sid"])
        if number is None:
            return _error(404, 20404, "The requested resource was not found")
        form = await request.post()
        for name, field in NUMBER_FIELDS.items():
            if isinstance(value := form.get(name), str):
                number[field] = value
        number["date_updated"] = format_datetime(datetime.now(UTC))
        return web.json_response(number)

    async def _create_message(self, request: web.Request) -> web.Response:
        self.idempotency_tokens.append(request.headers.get("I-Twilio-Idempotency-Token"))
        if refused := await self._refusal(request):
            return refused
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
