"""What a newcomer sees: `make run`'s first screen, and a clear refusal when the port is taken."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from app.devservers import pid_alive
from app.logs import configure_logging
from app.settings import Settings
from tests.api.test_deploy import LUCKYDRAW, _free_port
from tests.helpers import needs_pgserver

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("level", "shown"), [("info", False), ("warning", False), ("debug", True)])
@pytest.mark.usefixtures("restored_logging")
def test_pgserver_command_lines_show_only_at_debug(level: str, shown: bool) -> None:
    configure_logging("console", level)
    assert logging.getLogger("pgserver").isEnabledFor(logging.INFO) is shown


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Under the repo, not pytest's tmp_path: see tests/adapters/test_embedded.py.
    (REPO / ".data").mkdir(exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix="test-first-screen-", dir=REPO / ".data"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


async def _read_until(process: asyncio.subprocess.Process, marker: str, seconds: float) -> str:
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while not any(marker in line for line in seen):
        remaining = deadline - time.monotonic()
        assert remaining > 0, "".join(seen)
        line = await asyncio.wait_for(process.stdout.readline(), remaining)
        assert line, "serve exited:\n" + "".join(seen)
        seen.append(line.decode())
    return "".join(seen)


@needs_pgserver
async def test_make_run_shows_a_short_clean_first_screen_and_a_playable_demo(
    data_dir: Path, tmp_path: Path
) -> None:
    port = _free_port()
    env = {"PATH": os.environ["PATH"], "DATA_DIR": str(data_dir), "PORT": str(port)}
    # As `make run` does, with no DATABASE_URL / REDIS_URL: embedded servers, seeded demo.
    server = await asyncio.create_subprocess_exec(
        LUCKYDRAW, "serve", "--seed", str(REPO / "examples" / "campaign.yaml"),
        env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        screen = await _read_until(server, "luckydraw chat", 90)
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/readyz") as ready,
        ):
            assert ready.status == 200
    finally:
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(server.wait(), 30) == 0
    assert "Running commandline" not in screen
    assert "initdb" not in screen
    assert f"Lucky Draw is running at http://127.0.0.1:{port}" in screen
    assert "WINTER" in screen
    assert f"official rules: http://127.0.0.1:{port}/r/WINTER" in screen
    assert len(screen.splitlines()) <= 12, screen
    # The embedded servers this run started stopped with it.
    postgres_pid = (
        (data_dir / "pg" / "postmaster.pid").read_text().split()[0]
        if (data_dir / "pg" / "postmaster.pid").exists()
        else None
    )
    assert postgres_pid is None or not pid_alive(int(postgres_pid))


def _stale_server(port: int) -> socket.socket:
    """A listener on the port with SO_REUSEPORT, as a forgotten `luckydraw serve` holds it."""
    stale = socket.socket()
    stale.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    stale.bind(("127.0.0.1", port))
    stale.listen()
    return stale


@pytest.mark.parametrize("workers", ["1", "2"])
async def test_serve_on_a_port_in_use_stops_with_a_clear_sentence(
    settings: Settings, tmp_path: Path, workers: str
) -> None:
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "REDIS_PREFIX": settings.redis_prefix,
        "PORT": str(port),
        "SCHEDULER": "false",
    }
    with _stale_server(port):
        server = await asyncio.create_subprocess_exec(
            LUCKYDRAW, "serve", "--workers", workers,
            env=env, cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            _, err = await asyncio.wait_for(server.communicate(), 60)
        finally:
            if server.returncode is None:
                server.kill()
    assert server.returncode == 2
    assert err.decode().strip().splitlines()[-1] == (
        f"error: port {port} on 127.0.0.1 is in use (another luckydraw serve?):"
        " stop it, or choose another with --port or PORT"
    )
