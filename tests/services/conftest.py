"""A Redis of a test's own, for tests that stop it, hang it or count its connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.bootstrap import Core, open_core
from app.settings import Settings
from tests.conftest import FakeClock
from tests.private_redis import PrivateRedis, start_private_redis


@pytest.fixture
async def private_redis() -> AsyncIterator[PrivateRedis]:
    server = await asyncio.to_thread(start_private_redis)
    yield server
    server.resume()
    server.stop()


@pytest.fixture
async def own_services(
    services: Core, settings: Settings, clock: FakeClock, private_redis: PrivateRedis
) -> AsyncIterator[Core]:
    """The same database as `services`, with the test's own Redis."""
    async with open_core(
        settings.model_copy(update={"redis_url": private_redis.url}), clock=clock
    ) as built:
        yield built
