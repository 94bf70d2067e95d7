"""The asyncpg pool, with a pool-wide command timeout and a timeout to get a connection.

Per-query timeouts hung past 20 s on a silently dropped connection; only the pool-wide
`command_timeout` returned on time (LIBRARY-NOTES). asyncpg waits for a free connection
without limit by default: with every connection busy a webhook would wait past Twilio's
15 s. Here every acquire (the pool's own `fetch`, `execute`... included) gives up after
`acquire_timeout` with TimeoutError, which channels answer as "busy, try again".
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg


class _WaitBoundedPool(asyncpg.Pool):
    """An asyncpg pool whose acquires wait at most `acquire_timeout` unless told otherwise."""

    __slots__ = ("_acquire_timeout",)

    def __init__(self, *args: Any, acquire_timeout: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._acquire_timeout = acquire_timeout

    def acquire(self, *, timeout: float | None = None) -> Any:
        return super().acquire(timeout=self._acquire_timeout if timeout is None else timeout)


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 20,
    command_timeout: float = 5.0,
    acquire_timeout: float = 5.0,
    statement_cache_size: int = 100,
) -> asyncpg.Pool:
    """`statement_cache_size=0` behind PgBouncer < 1.21 in transaction pooling mode: its
    server connections change between transactions, so named prepared statements vanish."""
    # asyncpg.create_pool builds a Pool with these same arguments; it takes no pool class.
    pool = _WaitBoundedPool(
        dsn,
        acquire_timeout=acquire_timeout,
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        loop=None,
        connection_class=asyncpg.Connection,
        record_class=asyncpg.Record,
        reset=_keep_session,
        command_timeout=command_timeout,
        statement_cache_size=statement_cache_size,
    )
    await pool
    return pool


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Skip asyncpg's reset query on every release: a second round trip per query.

    The pool still rolls back any open transaction first; nothing here sets session state
    (no SET, LISTEN or session advisory lock outlives its own `finally`).
    """


def on_database(url: str, name: str) -> str:
    """The same server (TCP or unix socket) as `url`, database `name`."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))
