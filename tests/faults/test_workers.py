"""`serve --workers 2`: a worker killed mid-load comes back; workers that keep dying stop it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from app.bootstrap import open_core
from app.supervisor import Supervisor
from tests.faults.checks import broken_invariants
from tests.faults.conftest import campaign, fault_settings, metric, report, serving
from tests.faults.load import DrawLoad
from tests.faults.servers import PrivatePostgres, PrivateRedis


async def test_a_killed_worker_is_started_again_and_draws_go_on(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis, tmp_path: Path
) -> None:
    async with open_core(fault_settings(database_url, redis.url)) as services:
        await services.campaigns.create(campaign())
        async with serving(database_url, redis.url, tmp_path, "--workers", "2") as served:
            first, second = served.workers()
            load = DrawLoad(served.base_url, concurrency=8, timeout=15)
            await load.start()
            await asyncio.sleep(0.5)
            os.kill(first, signal.SIGKILL)
            killed = time.monotonic()
            while len(set(served.workers()) - {first, second}) < 1:
                assert time.monotonic() - killed < 60, served.output()
                await asyncio.sleep(0.1)
            while await metric(served.base_url, "luckydraw_worker_restarts") < 1:
                assert time.monotonic() - killed < 60, served.output()  # the new one is up
                await asyncio.sleep(0.2)
            await asyncio.sleep(0.5)
            outcomes = await load.stop()
            assert served.process.poll() is None
            assert await metric(served.base_url, "luckydraw_worker_restarts") == 1
            assert "worker_died" in served.events()
            assert "worker_restarted" in served.events()
            report("one of 2 workers SIGKILLed", load.kinds(), load.recovery_seconds(killed))
            assert await broken_invariants(services.pool, outcomes) == []
            served.process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(served.process.wait, 60) == 0


async def test_workers_drain_and_stop_when_their_supervisor_is_killed(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis, tmp_path: Path
) -> None:
    """Orphaned workers would serve on, on a port the next `serve` shares (SO_REUSEPORT)."""
    async with serving(
        database_url, redis.url, tmp_path, "--workers", "2", SHUTDOWN_GRACE_SECONDS="0.5"
    ) as served:
        workers = served.workers()
        served.process.kill()
        await asyncio.to_thread(served.process.wait)
        killed = time.monotonic()
        while alive := [pid for pid in workers if _running(pid)]:
            assert time.monotonic() - killed < 30, f"{alive} still running:\n{served.output()}"
            await asyncio.sleep(0.1)
    assert served.events().count("supervisor_gone") == 2


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's exit is reaped by init, when init reaps)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


class _Child:
    """A worker that is a plain subprocess (the supervisor only needs this much)."""

    def __init__(self, code: int) -> None:
        self._process = subprocess.Popen([sys.executable, "-c", f"raise SystemExit({code})"])

    @property
    def exitcode(self) -> int | None:
        return self._process.poll()

    def is_alive(self) -> bool:
        return self._process.poll() is None

    def terminate(self) -> None:
        self._process.terminate()

    def join(self, timeout: float | None = None) -> None:
        self._process.wait(timeout)


def test_workers_that_keep_dying_make_the_supervisor_give_up_with_a_failure_code() -> None:
    started: list[tuple[int, int]] = []

    def start(slot: int, restarts: int) -> _Child:
        started.append((slot, restarts))
        return _Child(3)

    supervisor = Supervisor(start, workers=2, first_delay=0.01, give_up_after=4)
    assert supervisor.run() == 1
    assert 2 <= supervisor.restarts <= 4  # two slots die concurrently: the fourth may not start
    assert len(started) == 2 + supervisor.restarts
