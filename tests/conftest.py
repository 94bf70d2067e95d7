"""Real PostgreSQL and Redis for every test run.

TEST_DATABASE_URL / TEST_REDIS_URL point at servers (CI: the machine's own); unset, the run
starts embedded ones. Each run creates its own database and Redis key prefix, and every test
starts from empty tables.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
import structlog

from app import devservers
from app.bootstrap import Core, open_core
from app.settings import Settings
from app.startup import CannotStart, require_local_servers
from db.migrate import migrate
from db.pool import create_pool, on_database

ROOT = Path(__file__).resolve().parent.parent
TABLES_KEPT = {"schema_migration", "schema_function"}


class FakeClock:
    """The injected clock: tests set and move time; it never moves by itself."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def server_urls() -> Iterator[tuple[str, str]]:
    """(admin database URL, Redis URL) of real servers, embedded when none are configured."""
    started: list[devservers.EmbeddedServer] = []
    database_url = os.environ.get("TEST_DATABASE_URL")
    redis_url = os.environ.get("TEST_REDIS_URL")
    data_dir = ROOT / ".data" / "test"
    try:
        require_local_servers(database_url or None, redis_url or None)
    except CannotStart as refusal:  # e.g. Python 3.13, where the local extra has no wheel
        pytest.exit(f"{refusal} (for tests: TEST_DATABASE_URL and TEST_REDIS_URL)", returncode=4)
    if not database_url:
        started.append(devservers.start_postgres(data_dir))
        database_url = started[-1].url
    if not redis_url:
        started.append(devservers.start_redis(data_dir))
        redis_url = started[-1].url
    yield database_url, redis_url
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
async def database_url(server_urls: tuple[str, str]) -> AsyncIterator[str]:
    """A fresh database for this run, migrated, dropped at the end."""
    admin_url = server_urls[0]
    name = f"ld_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = on_database(admin_url, name)
    pool = await create_pool(url, min_size=1, max_size=2)
    await migrate(pool)
    await pool.close()
    yield url
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    await admin.close()


@pytest.fixture(scope="session")
def redis_prefix() -> str:
    return f"ldtest:{secrets.token_hex(4)}:"


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 12, 10, 4, 0, tzinfo=UTC))  # noon in Hong Kong


@pytest.fixture(scope="session")
def settings(database_url: str, server_urls: tuple[str, str], redis_prefix: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        redis_url=server_urls[1],
        redis_prefix=redis_prefix,
        default_region="HK",
        admin_token="test-admin-token-0123456789abcdef",  # type: ignore[arg-type]
        public_base_url="https://luckydraw.example.com",
        twilio_auth_token="test-twilio-token",  # type: ignore[arg-type]
        twilio_account_sid="AC" + "0" * 32,
        pool_max_size=30,
        # CI shares two cores with other work: a query may wait long for the CPU. Tests about
        # timeouts and deadlines set their own.
        db_command_timeout=60,
    )


@pytest.fixture(scope="session")
async def services(settings: Settings, clock: FakeClock) -> AsyncIterator[Core]:
    async with open_core(settings, clock=clock) as built:
        yield built


@pytest.fixture(autouse=True)
async def clean_state(request: pytest.FixtureRequest, clock: FakeClock) -> None:
    """Empty tables and Redis keys before each test that touches them."""
    clock.set(datetime(2026, 12, 10, 4, 0, tzinfo=UTC))
    if "services" not in request.fixturenames:
        return
    services: Core = request.getfixturevalue("services")
    tables = [
        r["tablename"]
        for r in await services.pool.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        )
        if r["tablename"] not in TABLES_KEPT
    ]
    await services.pool.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    await forget_redis(services)
    await services.campaigns.drop_cached()
    services.draws.drop_cached()  # campaign ids start again at 1: their secrets are new


async def forget_redis(services: Core) -> None:
    """Drop this run's Redis keys (never FLUSHDB: other runs may share the server)."""
    await services.draw_gate.flushed()  # a remember written behind would land after the DEL
    client = services.redis.client
    keys = [k async for k in client.scan_iter(match=services.redis.prefix + "*", count=1000)]
    if keys:
        await client.delete(*keys)
    services.redis.reset()


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """For a test that configures logging as `serve` does (in process): the next tests log,
    and capture logs, as before it."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)
