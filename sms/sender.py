"""Outbound SMS: Twilio (or the console), always behind the anti-pumping guard.

SMS pumping fraud makes a service text premium numbers it was never asked to text. The guard
lets a message out only to a number that texted us first, in an allowed country, and that has
not opted out since.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, TextIO

import aiohttp
import structlog
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from core.errors import RecipientNotAllowed, RecipientUnreachable, SendFailed
from core.model import OutgoingMessage
from core.phone import mask, region_of
from core.ports import Sender, SmsStore
from core.services.people import CustomerService
from sms.twilio_http import (
    TWILIO_API,
    UNSUBSCRIBED,
    RedirectingTwilioHttpClient,
    idempotency_token,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TwilioConfig:
    account_sid: str
    auth_token: str
    sender: str  # a phone number, or an MG… messaging service
    status_callback_url: str | None = None
    api_base: str = TWILIO_API
    timeout_seconds: float = 10.0


class TwilioSender:
    """Messages API through the SDK's async client; vendor errors become the core's."""

    def __init__(self, client: Client, config: TwilioConfig, customers: CustomerService) -> None:
        self._client = client
        self._config = config
        self._customers = customers

    async def send(self, message: OutgoingMessage) -> str | None:
        params: dict[str, Any] = {"to": message.phone, "body": message.body}
        if self._config.sender.startswith("MG"):
            params["messaging_service_sid"] = self._config.sender
        else:
            params["from_"] = self._config.sender
        if self._config.status_callback_url:
            params["status_callback"] = self._config.status_callback_url
        # Every attempt at one outbox message carries one token, so Twilio can drop a copy
        # it accepted already (a send whose result we could not record).
        token = idempotency_token.set(f"outbox-{message.id}")
        try:
            # The SDK ignores its own timeout (twilio-python issue 925): enforce ours.
            async with asyncio.timeout(self._config.timeout_seconds):
                created = await self._client.messages.create_async(**params)
        except TimeoutError:
            raise SendFailed("Twilio did not answer in time") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise SendFailed(f"Twilio unreachable: {exc!r}") from None
        except TwilioRestException as exc:
            await self._refused(message, exc)
        finally:
            idempotency_token.reset(token)
        sid: str | None = created.sid
        return sid

    async def _refused(self, message: OutgoingMessage, exc: TwilioRestException) -> None:
        if exc.code == UNSUBSCRIBED:
            await self._customers.opt_out(message.phone, f"twilio:{UNSUBSCRIBED}")
            raise RecipientUnreachable(f"{mask(message.phone)} unsubscribed at Twilio") from None
        if exc.status == 429 or exc.status >= 500 or exc.status in (401, 403):
            # Busy, broken, or our credentials: none of it is the recipient's fault.
            raise SendFailed(f"Twilio {exc.status} (error {exc.code})") from None
        raise RecipientUnreachable(f"Twilio refused: error {exc.code}") from None


class ConsoleSender:
    """Prints messages instead of sending them (SMS_BACKEND=console, local runs)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self._ids = itertools.count(1)

    async def send(self, message: OutgoingMessage) -> str | None:
        out = self._out or sys.stdout
        print(f"[sms to {message.phone}] {message.body}", file=out, flush=True)
        return f"console-{next(self._ids)}"


class GuardedSender:
    """The anti-pumping guard in front of any SMS backend."""

    def __init__(self, inner: Sender, store: SmsStore, allowed_countries: frozenset[str]):
        self._inner = inner
        self._store = store
        self._allowed = allowed_countries

    async def send(self, message: OutgoingMessage) -> str | None:
        region = region_of(message.phone)
        if region not in self._allowed:
            raise RecipientNotAllowed(f"{mask(message.phone)}: country {region} not allowed")
        if not await self._store.may_text(message.phone):
            raise RecipientNotAllowed(f"{mask(message.phone)} never texted us or opted out")
        return await self._inner.send(message)


@asynccontextmanager
async def open_sms_sender(
    twilio: TwilioConfig | None,
    store: SmsStore,
    customers: CustomerService,
    allowed_countries: frozenset[str],
) -> AsyncIterator[Sender]:
    """The guarded sender: Twilio when configured, else the console. Closes what it opens."""
    if twilio is None:
        yield GuardedSender(ConsoleSender(), store, allowed_countries)
        return
    # The SDK's HTTP client opens an aiohttp session: build it inside the running loop.
    http_client = RedirectingTwilioHttpClient(twilio.api_base)
    try:
        client = Client(twilio.account_sid, twilio.auth_token, http_client=http_client)
        yield GuardedSender(TwilioSender(client, twilio, customers), store, allowed_countries)
    finally:
        await http_client.close()
