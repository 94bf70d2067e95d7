"""Local use only: embedded PostgreSQL and Redis for the URLs left unset (never in production)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import structlog

from app.settings import Settings
from db import embedded

log = structlog.get_logger(__name__)


@contextmanager
def embedded_servers(settings: Settings) -> Iterator[Settings]:
    """`settings` with embedded servers for the URLs left unset."""
    with ExitStack() as stack:
        urls = {}
        if settings.database_url is None:
            log.warning("embedded_postgres", warning="DATABASE_URL unset: local use only")
            postgres = embedded.start_postgres(settings.data_dir.resolve())
            if not postgres.reused:  # a server another process started is its to stop
                stack.callback(postgres.stop)
            urls["database_url"] = postgres.url
        if settings.redis_url is None:
            log.warning("embedded_redis", warning="REDIS_URL unset: local use only")
            redis_server = embedded.start_redis(settings.data_dir.resolve())
            if not redis_server.reused:
                stack.callback(redis_server.stop)
            urls["redis_url"] = redis_server.url
        yield settings.model_copy(update=urls)
