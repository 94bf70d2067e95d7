"""A real PgBouncer (Debian's package, 1.18) in transaction pooling mode, on a free port.

Used by the tests that run the concurrency invariants through it and by the bench that
measures what it costs. Trust authentication: the test server's own users, local only.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

CONFIG = """\
[databases]
* = host={host} port={port}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
max_client_conn = 1000
default_pool_size = {pool_size}
"""


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer",) if Path(p).exists()), None
    )


@dataclass(frozen=True)
class PgBouncer:
    url: str  # the database, reached through it
    pid: int


@contextmanager
def running_pgbouncer(database_url: str, *, pool_size: int = 20) -> Iterator[PgBouncer]:
    """`database_url`, reached through a PgBouncer started for the block."""
    binary = pgbouncer_binary()
    if binary is None:
        raise RuntimeError("pgbouncer is not installed (apt-get install -y pgbouncer)")
    parts = urlsplit(database_url)
    query = parse_qs(parts.query)  # the embedded server's URL names a socket directory here
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    port = query.get("port", [str(parts.port or 5432)])[0]
    listen = _free_port()
    with tempfile.TemporaryDirectory(prefix="ld-pgbouncer-") as directory:
        config, users = Path(directory, "pgbouncer.ini"), Path(directory, "users.txt")
        users.write_text(f'"{parts.username or "postgres"}" ""\n')
        config.write_text(
            CONFIG.format(
                host=host,
                port=port,
                listen=listen,
                users=users,
                pool_size=pool_size,
            )
        )
        command = [binary, str(config)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            os.chmod(directory, 0o755)  # noqa: S103 (its unprivileged user reads the config)
            command[1:1] = ["-u", _unprivileged_user(host)]
        log = Path(directory, "pgbouncer.log")
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_listening(listen, process, log)
            url = urlunsplit(parts._replace(netloc=_netloc(parts.username, listen), query=""))
            yield PgBouncer(url, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=10)


def _unprivileged_user(host: str) -> str:
    """Who may reach the server: a socket directory's owner, anyone for TCP."""
    if host.startswith("/"):
        return pwd.getpwuid(Path(host).stat().st_uid).pw_name
    return "nobody"


def _netloc(user: str | None, port: int) -> str:
    return f"{user}@127.0.0.1:{port}" if user else f"127.0.0.1:{port}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pgbouncer did not listen within 10 s")
