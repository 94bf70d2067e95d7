"""Private PostgreSQL and Redis processes that a fault test may kill, stop and restart.

Nothing here touches the machine's shared servers: each process is a child of the test run,
on a free port, with its data in a temporary directory. PostgreSQL refuses to run as root,
so under root its processes run as the `postgres` user.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
_PG_USER = "postgres" if os.geteuid() == 0 else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, *, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@dataclass
class PrivatePostgres:
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> None:
        self.root.chmod(0o755)  # the postgres user walks into it
        self.data.mkdir(mode=0o700)
        if _PG_USER:
            shutil.chown(self.data, _PG_USER, _PG_USER)
        subprocess.run(
            [PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "-N",
             "-E", "UTF8", "--locale=C"],
            check=True, capture_output=True, user=_PG_USER,
        )  # fmt: skip

    def start(self) -> None:
        # fsync off: only the OS could lose what PostgreSQL wrote, and it does not crash here.
        # synchronous_commit stays on: a commit answered must survive a PostgreSQL crash.
        log = (self.root / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            [PG_BIN / "postgres", "-D", self.data, "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
             "-c", "fsync=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            stdout=log, stderr=subprocess.STDOUT, user=_PG_USER,
        )  # fmt: skip
        log.close()
        deadline = time.monotonic() + 30
        while subprocess.run(
            [PG_BIN / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
        ).returncode:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((self.root / "postgres.log").read_text()[-2000:])
            time.sleep(0.05)

    def stop(self, mode: str = "fast") -> None:
        """Shut down as `pg_ctl -m fast` (SIGINT) or crash-like `-m immediate` (SIGQUIT)."""
        assert self.process is not None
        sig = {"fast": signal.SIGINT, "immediate": signal.SIGQUIT}[mode]
        self.process.send_signal(sig)
        self.process.wait(timeout=30)
        self.process = None

    def destroy(self) -> None:
        if self.process is not None:
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PrivatePostgres:
    server = PrivatePostgres(Path(tempfile.mkdtemp(prefix="ld-faults-pg-")))
    server.init()
    server.start()
    return server


@dataclass
class PrivateRedis:
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def destroy(self) -> None:
        if self.process is not None:
            self.resume()
            self.kill()
