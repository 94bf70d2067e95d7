"""Texts the service as Twilio does: form-encoded, signed over the public URL with Twilio's own
RequestValidator. The one signed-Twilio client of every test that plays an SMS customer."""

from __future__ import annotations

import itertools
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from app.settings import Settings

CUSTOMER = "+85291234567"
STAFF = "+85261234567"
CAMPAIGN_NUMBER = "+85230001234"
_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{secrets.token_hex(8)}{next(_sids):016x}"


def inbound(
    body: str, phone: str = CUSTOMER, sid: str | None = None, **extra: str
) -> dict[str, str]:
    """An incoming message's webhook parameters, as Twilio sends them."""
    return {
        "MessageSid": sid or new_sid(),
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": CAMPAIGN_NUMBER,
        "Body": body,
        "NumMedia": "0",
        **extra,
    }


def signed_form(
    auth_token: str, url: str, params: dict[str, str], signature: str | None = None
) -> tuple[str, dict[str, str]]:
    """The body and headers of a webhook to `url` (the public one Twilio calls)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    sig = (
        RequestValidator(auth_token).compute_signature(url, params)
        if signature is None
        else signature
    )
    if sig:
        headers["X-Twilio-Signature"] = sig
    return urlencode(params), headers


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str

    @property
    def messages(self) -> list[str]:
        root = ET.fromstring(self.body)  # noqa: S314 - TwiML from our own server under test
        return [m.text or "" for m in root.iter("Message")]

    @property
    def reply(self) -> str:
        (message,) = self.messages
        return message


class Twilio:
    """Posts signed webhooks through an aiohttp test client (or any client with `.post`)."""

    def __init__(self, client: Any, settings: Settings) -> None:
        self.client = client
        token = settings.twilio_auth_token
        assert token is not None
        self.token = token.get_secret_value()
        self.validator = RequestValidator(self.token)
        self.base = settings.public_base_url.rstrip("/")

    def signature(self, path: str, params: dict[str, str]) -> str:
        signature: str = self.validator.compute_signature(self.base + path, params)
        return signature

    async def post(
        self, path: str, params: dict[str, str], *, signature: str | None = None
    ) -> Answer:
        data, headers = signed_form(self.token, self.base + path, params, signature)
        response = await self.client.post(path, data=data, headers=headers)
        return Answer(response.status, await response.text(), response.content_type)

    async def text(
        self, body: str, phone: str = CUSTOMER, *, sid: str | None = None, **extra: str
    ) -> Answer:
        return await self.post("/sms/inbound", inbound(body, phone, sid, **extra))
