"""Fault injection: private servers, a steady stream of signed DRAWs, the same checks after.

Bounded: each fault lasts seconds, not minutes; the whole directory stays under two minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest
import structlog
from aiogram import Bot
from aiohttp import web

from app.bootstrap import Core, open_core
from app.logs import configure_logging
from app.server import create_app
from app.settings import Settings
from core.model import CampaignSpec
from db.migrate import migrate
from db.pool import create_pool, on_database
from tests.faults.load import AUTH_TOKEN, PUBLIC_BASE_URL
from tests.faults.servers import PG_BIN, PrivatePostgres, PrivateRedis, free_port, start_postgres
from tests.helpers import spec

if not (PG_BIN / "postgres").exists():
    pytest.skip(f"no PostgreSQL server binaries in {PG_BIN}", allow_module_level=True)

TEMPLATE = "ld_faults_template"


@pytest.fixture(scope="module", autouse=True)
def production_logging() -> Iterator[None]:
    """Log as `serve` does: faults log many tracebacks, and the test default renders each
    one with rich (seconds apiece on a busy machine, blocking the loop the service runs on)."""
    saved = structlog.get_config()
    configure_logging("json", "warning")
    yield
    structlog.configure(**saved)


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


def campaign(daily_quota: int = 300, probability: float = 0.5) -> CampaignSpec:
    """Open now (real time), half the draws win, a daily quota the faults can run into."""
    now = datetime.now(UTC)
    prize = {"name": "Free Coffee", "probability": probability, "total_quota": 100_000,
             "daily_quota": daily_quota, "valid_days": 7}  # fmt: skip
    return spec({"name": "Fault Draw", "keyword": "FAULT", "timezone": "Asia/Hong_Kong",
                 "starts_at": (now - timedelta(days=1)).isoformat(),
                 "ends_at": (now + timedelta(days=30)).isoformat(),
                 "language": "en", "prizes": [prize]})  # fmt: skip


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
    services: Core
    base_url: str


@asynccontextmanager
async def running_app(
    settings: Settings, telegram_bot: Bot | None = None
) -> AsyncIterator[RunningApp]:
    """The service in this process, on a real port, as `luckydraw serve` runs it."""
    async with open_core(settings) as services:
        app = create_app(settings, services, telegram_bot=telegram_bot)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield RunningApp(services, f"http://127.0.0.1:{port}")
        finally:
            await runner.cleanup()


@dataclass
class Served:
    """`luckydraw serve` as a child process, as production runs it."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def workers(self) -> list[int]:
        """The worker processes of `serve --workers N` (not multiprocessing's helper)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()]
        return [p for p in pids if b"resource_tracker" not in _cmdline(p)]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def events(self) -> list[str]:
        """The `event` of every JSON log line so far (other output skipped)."""
        found = []
        for line in self.output().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict) and "event" in record:
                    found.append(str(record["event"]))
        return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


@asynccontextmanager
async def serving(
    database_url: str, redis_url: str, tmp_path: Path, *args: str, **env: str
) -> AsyncIterator[Served]:
    """Start `luckydraw serve ARGS` on a free port and wait until /readyz answers 200."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "REDIS_PREFIX": f"ldfault:{secrets.token_hex(4)}:",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "DEFAULT_REGION": "HK",
        "SCHEDULER": "false",
        "LOG_FORMAT": "json",
        **env,
    }
    log = tmp_path / "serve.log"
    process = _spawn(["serve", *args], environment, log, tmp_path)
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        await _ready(served)
        yield served
    finally:
        if process.poll() is None:
            process.kill()
            await asyncio.to_thread(process.wait)


def _spawn(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(Path(sys.executable).parent / "luckydraw"), *args],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd,
        )  # fmt: skip


async def _ready(served: Served, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session:
        while time.monotonic() < deadline:
            if served.process.poll() is not None:
                raise RuntimeError(f"serve exited {served.process.returncode}:\n{served.output()}")
            try:
                async with session.get(served.base_url + "/readyz") as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"serve not ready in {seconds} s:\n{served.output()}")


async def metric(base_url: str, name: str) -> float:
    """One unlabelled value from /metrics."""
    async with aiohttp.ClientSession() as session, session.get(base_url + "/metrics") as r:
        for line in (await r.text()).splitlines():
            if line.startswith((name + " ", name + "{")):
                return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")
