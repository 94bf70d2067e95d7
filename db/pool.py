"""The asyncpg pool, with a pool-wide command timeout.

Per-query timeouts hung past 20 s on a silently dropped connection; only the pool-wide
`command_timeout` returned on time (LIBRARY-NOTES).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 20, command_timeout: float = 5.0
) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=command_timeout,
        # Unnamed statements: safe behind pgbouncer in transaction mode.
        statement_cache_size=0 if "pgbouncer=true" in dsn else 100,
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
