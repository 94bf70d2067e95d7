"""The asyncpg pool, with a pool-wide command timeout.

Per-query timeouts hung past 20 s on a silently dropped connection; only the pool-wide
`command_timeout` returned on time (LIBRARY-NOTES).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 20,
    command_timeout: float = 5.0,
    statement_cache_size: int = 100,
) -> asyncpg.Pool:
    """`statement_cache_size=0` behind PgBouncer < 1.21 in transaction pooling mode: its
    server connections change between transactions, so named prepared statements vanish."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        statement_cache_size=statement_cache_size,
        reset=_keep_session,
    )
    assert pool is not None
    return pool


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Skip asyncpg's reset query on every release: a second round trip per query.

    The pool still rolls back any open transaction first; nothing here sets session state
    (no SET, LISTEN or session advisory lock outlives its own `finally`).
    """


def on_database(url: str, name: str) -> str:
    """The same server (TCP or unix socket) as `url`, database `name`."""
    return urlunsplit(urlsplit(url)._replace(path="/" + name))
