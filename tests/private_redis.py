"""A throwaway redis-server that a test may hang (SIGSTOP) or kill, beside the shared one."""

from __future__ import annotations

import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import IO

from app.devservers import EmbeddedServer, redis_server_binary, wait_for_ping


@dataclass
class PrivateRedis(EmbeddedServer):
    """A throwaway redis-server child process on a TCP port, which a test may hang or kill."""

    port: int
    process: subprocess.Popen[bytes] = field(repr=False)

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_private_redis(port: int | None = None) -> PrivateRedis:
    """A throwaway, non-persistent redis-server on 127.0.0.1 (a free port unless given).

    It is a child of this process, so a test can SIGSTOP (`pause`) or kill it without touching
    the shared Redis other tests use.
    """
    binary = redis_server_binary()
    # Picking a free port races with other processes: retry on a fresh one if it was taken.
    for _attempt in range(3):
        chosen = port or _free_port()
        # Output goes to a file, not a pipe nobody reads: a full pipe would block the server.
        log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop() or on failure
        process = subprocess.Popen(
            [
                binary,
                "--port",
                str(chosen),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for_ping(process.pid, port=chosen)
        except RuntimeError:
            process.kill()
            process.wait()
            log.seek(0)
            output = log.read().decode(errors="replace")
            log.close()
            if port is None and "Address already in use" in output:
                continue
            raise RuntimeError(f"redis-server on port {chosen} failed:\n{output}") from None

        def stop(process: subprocess.Popen[bytes] = process, log: IO[bytes] = log) -> None:
            if process.poll() is None:
                process.kill()  # SIGKILL works on a SIGSTOPped process too
            process.wait()
            log.close()

        return PrivateRedis(
            url=f"redis://127.0.0.1:{chosen}/0",
            pid=process.pid,
            _stop=stop,
            port=chosen,
            process=process,
        )
    raise RuntimeError("could not find a free port for redis-server")
