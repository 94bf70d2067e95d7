"""The SMS channel through HTTP, signed exactly as Twilio signs, against the real stores."""

from __future__ import annotations

import itertools
import secrets
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from twilio.request_validator import RequestValidator

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from app.sms_wiring import sms_conversation
from sms.conversation import Conversation

CUSTOMER = "+85291234567"
STAFF = "+85261234567"
CAMPAIGN_NUMBER = "+85230001234"
_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{secrets.token_hex(8)}{next(_sids):016x}"


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
    """Sends webhooks the way Twilio does: form-encoded, signed over the public URL."""

    def __init__(self, client: TestClient[object, object], settings: Settings) -> None:
        self.client = client
        token = settings.twilio_auth_token
        assert token is not None
        self.validator = RequestValidator(token.get_secret_value())
        self.base = settings.public_base_url.rstrip("/")

    def signature(self, path: str, params: dict[str, str]) -> str:
        signature: str = self.validator.compute_signature(self.base + path, params)
        return signature

    async def post(
        self, path: str, params: dict[str, str], *, signature: str | None = None
    ) -> Answer:
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        sig = self.signature(path, params) if signature is None else signature
        if sig:
            headers["X-Twilio-Signature"] = sig
        response = await self.client.post(path, data=urlencode(params), headers=headers)
        return Answer(response.status, await response.text(), response.content_type)

    async def text(
        self, body: str, phone: str = CUSTOMER, *, sid: str | None = None, **extra: str
    ) -> Answer:
        params = {
            "MessageSid": sid or new_sid(),
            "AccountSid": "AC" + "0" * 32,
            "From": phone,
            "To": CAMPAIGN_NUMBER,
            "Body": body,
            "NumMedia": "0",
            **extra,
        }
        return await self.post("/sms/inbound", params)


@pytest.fixture
async def twilio(services: Core, settings: Settings) -> AsyncIterator[Twilio]:
    async with TestClient(TestServer(create_app(settings, services))) as client:
        yield Twilio(client, settings)


@pytest.fixture
def conversation(services: Core) -> Conversation:
    return sms_conversation(services)
