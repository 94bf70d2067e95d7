"""Fault injection: private servers, a steady stream of signed DRAWs, the same checks after.

Bounded: each fault lasts seconds, not minutes; the whole directory stays under two minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp import web

from app.bootstrap import Services, build_services
from app.server import create_app
from app.settings import Settings
from db.migrate import migrate
from db.pool import create_pool, on_database
from tests.faults.load import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.faults.servers import PG_BIN, PrivatePostgres, PrivateRedis, free_port, start_postgres

if not (PG_BIN / "postgres").exists():
    pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}", allow_module_level=True)

TEMPLATE = "ld_faults_template"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PrivatePostgres]:
    server = start_postgres()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
async def template(postgres: PrivatePostgres) -> str:
    admin = await asyncpg.connect(postgres.url)
    await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    await admin.close()
    pool = await create_pool(on_database(postgres.url, TEMPLATE), min_size=1, max_size=1)
    await migrate(pool)
    await pool.close()
    return TEMPLATE


@pytest.fixture
async def database_url(postgres: PrivatePostgres, template: str) -> AsyncIterator[str]:
    """A fresh, migrated database on the private server (a copy of the template)."""
    name = f"ld_fault_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(postgres.url)
    await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    await admin.close()
    yield on_database(postgres.url, name)
    if postgres.process is None:  # a test left it stopped
        await asyncio.to_thread(postgres.start)
    admin = await asyncpg.connect(postgres.url)
    await admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    await admin.close()


@pytest.fixture
async def redis() -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis()
    await asyncio.to_thread(server.start)
    yield server
    server.destroy()


def fault_settings(database_url: str, redis_url: str, **overrides: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        redis_url=redis_url,
        redis_prefix=f"ldfault:{secrets.token_hex(4)}:",
        default_region="HK",
        public_base_url=PUBLIC_BASE_URL,
        twilio_auth_token=AUTH_TOKEN,  # type: ignore[arg-type]
        scheduler=False,
        **overrides,
    )


def campaign(daily_quota: int = 300) -> dict[str, Any]:
    """Open now (real time), half the draws win, a daily quota the faults can run into."""
    now = datetime.now(UTC)
    prize = {"name": "Free Coffee", "probability": 0.5, "total_quota": 100_000,
             "daily_quota": daily_quota, "valid_days": 7}  # fmt: skip
    return {"name": "Fault Draw", "keyword": "FAULT", "timezone": "Asia/Hong_Kong",
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=30)).isoformat(),
            "language": "en", "prizes": [prize]}  # fmt: skip


def report(fault: str, kinds: dict[str, int], recovery: float | None) -> None:
    """Figures for README's "Reliability": appended to $FAULTS_REPORT (JSON lines) if set.

    Recovery must happen; how fast is measured, never asserted (the machine is shared)."""
    assert recovery is not None, f"{fault}: no draw was answered after the fault ended"
    path = os.environ.get("FAULTS_REPORT")
    if path:
        line = {"fault": fault, "answers": kinds, "recovery_seconds": round(recovery, 2)}
        with open(path, "a") as out:
            out.write(json.dumps(line) + "\n")


@dataclass
class RunningApp:
    services: Services
    base_url: str


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[RunningApp]:
    """The service in this process, on a real port, as `luckydraw serve` runs it."""
    async with build_services(settings) as services:
        runner = web.AppRunner(create_app(services), access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield RunningApp(services, f"http://127.0.0.1:{port}")
        finally:
            await runner.cleanup()
