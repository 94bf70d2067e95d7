"""The draw's invariants hold behind PgBouncer in transaction pooling mode.

Debian's PgBouncer 1.18 has no prepared-statement support: the service runs there with
DB_STATEMENT_CACHE_SIZE=0, and every connection of its pool may reach a different server
connection from one transaction to the next.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from app.bootstrap import Core, open_core
from app.settings import Settings
from tests.conftest import FakeClock
from tests.pgbouncer import running_pgbouncer
from tests.services.test_concurrency import one_customer_race, quota_race

ROUNDS = 5


@pytest.fixture(scope="module")
def bouncer_url(database_url: str) -> Iterator[str]:
    # Fewer server connections than the service's pool (30): clients really share them.
    with running_pgbouncer(database_url, pool_size=10) as bouncer:
        yield bouncer.url


@pytest.fixture
async def bounced(
    services: Core, settings: Settings, bouncer_url: str, clock: FakeClock
) -> AsyncIterator[Core]:
    """The service through PgBouncer; `services` (direct) empties the tables first."""
    bounced_settings = settings.model_copy(
        update={
            "database_url": bouncer_url,
            "db_statement_cache_size": 0,
            # 500 draws queue for 30 connections on two shared cores: a wait, not a fault.
            "db_acquire_timeout": 60.0,
        }
    )
    async with open_core(bounced_settings, clock=clock) as built:
        yield built


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_behind_pgbouncer_concurrent_winners_never_exceed_daily_or_total_quota(
    bounced: Core, clock: FakeClock, round_: int
) -> None:
    await quota_race(bounced, clock, round_)


@pytest.mark.parametrize("round_", range(ROUNDS))
async def test_behind_pgbouncer_concurrent_draws_by_one_customer_record_exactly_one(
    bounced: Core, round_: int
) -> None:
    await one_customer_race(bounced)
