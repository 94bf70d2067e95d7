"""The SMS channel through HTTP, signed exactly as Twilio signs, against the real stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from app.sms_wiring import sms_conversation
from sms.conversation import Conversation
from tests.twilio_client import Twilio


@pytest.fixture
async def twilio(services: Core, settings: Settings) -> AsyncIterator[Twilio]:
    async with TestClient(TestServer(create_app(settings, services))) as client:
        yield Twilio(client, settings)


@pytest.fixture
def conversation(services: Core) -> Conversation:
    return sms_conversation(services)
