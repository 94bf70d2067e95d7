"""Point a Twilio number's incoming-SMS webhook at this service, and check where it points.

Through the SDK's IncomingPhoneNumbers resource (honouring TWILIO_API_BASE), as
`luckydraw twilio set-webhook` and `luckydraw twilio check` do. A number has no status
callback for messages: the service asks for one on every message it sends instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from sms.twilio_http import RedirectingTwilioHttpClient

INBOUND_PATH = "/sms/inbound"
_UNREACHABLE_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}  # noqa: S104 - a name, not a bind


class NumberSetupError(Exception):
    """Why the number could not be read or changed, in one sentence for the operator."""


@dataclass(frozen=True, slots=True)
class NumberWebhook:
    """Where a Twilio number sends the texts it receives."""

    phone_number: str
    sid: str
    sms_url: str
    sms_method: str
    sms_application_sid: str  # when set, Twilio uses that application's URL, not sms_url

    def problems(self, expected_url: str) -> list[str]:
        """What differs from `expected_url` with POST; empty when the number points here."""
        found = []
        if self.sms_application_sid:
            found.append(f"SMS is handled by application {self.sms_application_sid}")
        if self.sms_url != expected_url:
            found.append(f"sms_url is {self.sms_url or '(empty)'}, expected {expected_url}")
        if self.sms_method.upper() != "POST":
            found.append(f"sms_method is {self.sms_method}, expected POST")
        return found


def inbound_url(public_base_url: str) -> str:
    """PUBLIC_BASE_URL + /sms/inbound; refused when Twilio could not reach it."""
    parts = urlsplit(public_base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise NumberSetupError(f"PUBLIC_BASE_URL {public_base_url!r} is not an http(s) URL")
    if parts.hostname in _UNREACHABLE_HOSTS:
        raise NumberSetupError(
            f"PUBLIC_BASE_URL is {public_base_url}, which Twilio cannot reach: set it to the"
            " public https address of this service (for local use, a tunnel's address)"
        )
    return public_base_url.rstrip("/") + INBOUND_PATH


class TwilioNumbers:
    """Reads and updates one account's IncomingPhoneNumbers; vendor errors become ours."""

    def __init__(self, client: Client, timeout_seconds: float) -> None:
        self._client = client
        self._timeout = timeout_seconds

    async def find(self, phone_number: str) -> NumberWebhook:
        found = await self._call(
            self._client.incoming_phone_numbers.list_async(phone_number=phone_number, limit=2)
        )
        if not found:
            raise NumberSetupError(f"{phone_number} is not a number of this Twilio account")
        return _webhook(found[0])

    async def point(self, number: NumberWebhook, url: str) -> NumberWebhook:
        """Set the number's SMS webhook to POST `url` (and drop an SMS application)."""
        updated = await self._call(
            self._client.incoming_phone_numbers(number.sid).update_async(
                sms_url=url, sms_method="POST", sms_application_sid=""
            )
        )
        return _webhook(updated)

    async def _call(self, request: Any) -> Any:
        try:
            # The SDK ignores its own timeout (twilio-python issue 925): enforce ours.
            async with asyncio.timeout(self._timeout):
                return await request
        except TimeoutError:
            raise NumberSetupError("Twilio did not answer in time") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise NumberSetupError(f"Twilio is unreachable: {exc}") from None
        except TwilioException as exc:
            raise NumberSetupError(_refusal(exc)) from None


@asynccontextmanager
async def twilio_numbers(
    account_sid: str, auth_token: str, api_base: str, timeout_seconds: float
) -> AsyncIterator[TwilioNumbers]:
    http_client = RedirectingTwilioHttpClient(api_base)
    try:
        client = Client(account_sid, auth_token, http_client=http_client)
        yield TwilioNumbers(client, timeout_seconds)
    finally:
        await http_client.close()


def _refusal(exc: TwilioException) -> str:
    # A list page failure is a bare TwilioException carrying the response; an update's is a
    # TwilioRestException with the status.
    if isinstance(exc, TwilioRestException):
        status, detail = exc.status, exc.msg
    elif len(exc.args) > 1 and hasattr(exc.args[1], "status_code"):
        status, detail = exc.args[1].status_code, exc.args[1].text
    else:
        return f"Twilio refused: {exc}"
    if status == 401:
        return "Twilio refused TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN"
    return f"Twilio answered {status}: {detail}"


def _webhook(instance: Any) -> NumberWebhook:
    return NumberWebhook(
        phone_number=str(instance.phone_number),
        sid=str(instance.sid),
        sms_url=instance.sms_url or "",
        sms_method=instance.sms_method or "POST",
        sms_application_sid=instance.sms_application_sid or "",
    )
