"""Shared bench plumbing: a throwaway database, latency summaries, pgbench, /proc CPU."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import redis

from db.migrate import migrate
from db.pool import create_pool, on_database

RESULTS = Path(__file__).parent / "results"
ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@asynccontextmanager
async def scratch_database() -> AsyncIterator[str]:
    """A fresh, migrated database for one bench run, dropped afterwards."""
    name = f"ld_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = on_database(ADMIN_URL, name)
    pool = await create_pool(url, min_size=1, max_size=2)
    await migrate(pool)
    await pool.close()
    try:
        yield url
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


def summarise(latencies_s: list[float], elapsed_s: float, errors: int = 0) -> dict[str, Any]:
    ordered = sorted(latencies_s)

    def pct(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {
        "requests": len(ordered),
        "errors": errors,
        "seconds": round(elapsed_s, 2),
        "per_second": round(len(ordered) / elapsed_s, 1),
        "p50_ms": round(1000 * statistics.median(ordered), 2) if ordered else None,
        "p95_ms": pct(0.95) if ordered else None,
        "p99_ms": pct(0.99) if ordered else None,
        "p999_ms": pct(0.999) if ordered else None,
    }


# Below max_connections (100 by default) with room for the service's own pool.
MAX_PGBENCH_CLIENTS = 80


def run_pgbench(database_url: str, script: str, clients: int, seconds: int) -> dict[str, Any]:
    """pgbench on a custom script: the database's own limit for that transaction."""
    clients = min(clients, MAX_PGBENCH_CLIENTS)
    pgbench = shutil.which("pgbench")
    if pgbench is None:
        from app.devservers import pgbench_path

        pgbench = str(pgbench_path())
    parts = urlsplit(database_url)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    command = [
        pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", "2", "-T", str(seconds),
        "-f", f.name, "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
        "-U", parts.username or "postgres", parts.path.lstrip("/"),
    ]  # fmt: skip
    try:
        out = _pgbench_output(command)
    finally:
        os.unlink(f.name)
    tps = next(line for line in out.splitlines() if line.startswith("tps"))
    latency = next(line for line in out.splitlines() if line.startswith("latency average"))
    return {
        "clients": clients,
        "seconds": seconds,
        "tps": round(float(tps.split("=")[1].split()[0]), 1),
        "latency_avg_ms": float(latency.split("=")[1].split()[0]),
    }


@contextmanager
def private_redis() -> Iterator[tuple[str, int]]:
    """(URL, pid) of a Redis server of the run's own, so its CPU is the bench's alone; the
    shared one (BENCH_REDIS_URL) when `redis-server` is not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield REDIS_URL, int(redis.Redis.from_url(REDIS_URL).info("server")["process_id"])
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
               "--appendonly", "no"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        for _ in range(100):
            try:
                redis.Redis.from_url(url).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def bounced(database_url: str) -> Iterator[tuple[str, int]]:
    """(URL through PgBouncer in transaction pooling mode, PgBouncer's pid)."""
    from tests.pgbouncer import running_pgbouncer

    with running_pgbouncer(database_url, pool_size=40) as bouncer:
        yield bouncer.url, bouncer.pid


def _pgbench_output(command: list[str]) -> str:
    """pgbench's report; a shared server may be out of connections for a moment: retry."""
    for attempt in range(4):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return done.stdout
        time.sleep(3 * (attempt + 1))
    raise RuntimeError(f"pgbench failed: {done.stderr[-500:]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its reaped children, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def save(name: str, result: dict[str, Any]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return path


async def gather_bounded(coros: list[Any]) -> list[Any]:
    return await asyncio.gather(*coros)
