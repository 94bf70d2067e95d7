"""Versions of the official rules: each keeps the campaign as it was published."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import asyncpg
import orjson

from core.model import Campaign, RulesVersion
from db.campaign_json import campaign_from_json, campaign_to_json

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn = PoolConnectionProxy[asyncpg.Record]


async def publish_version(conn: Conn, campaign: Campaign, now: datetime) -> RulesVersion:
    """Keep `campaign` as the next version of its rules, in the caller's transaction: the
    change that makes a version and the version commit together, or neither does."""
    # The primary key serialises concurrent publishers: a clash just takes the next number
    # (each try in a savepoint, so a clash does not abort the caller's transaction).
    for _ in range(5):
        try:
            async with conn.transaction():
                number = await conn.fetchval(
                    """INSERT INTO rules_version (campaign_id, number, published_at, campaign)
                       SELECT $1, coalesce(max(number), 0) + 1, $2, $3::jsonb
                         FROM rules_version WHERE campaign_id = $1
                       RETURNING number""",
                    campaign.id,
                    now,
                    orjson.dumps(campaign_to_json(campaign)).decode(),
                )
        except asyncpg.UniqueViolationError:
            continue
        return RulesVersion(campaign.id, number, now)
    raise RuntimeError(f"could not publish rules of campaign {campaign.id}")


class PgRulesStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def publish(self, campaign: Campaign, now: datetime) -> RulesVersion:
        async with self._pool.acquire() as conn, conn.transaction():
            return await publish_version(conn, campaign, now)

    async def versions(self, campaign_id: int) -> Sequence[RulesVersion]:
        rows = await self._pool.fetch(
            """SELECT campaign_id, number, published_at FROM rules_version
                WHERE campaign_id = $1 ORDER BY number""",
            campaign_id,
        )
        return [RulesVersion(**dict(r)) for r in rows]

    async def read(self, campaign_id: int, number: int) -> Campaign | None:
        raw = await self._pool.fetchval(
            "SELECT campaign FROM rules_version WHERE campaign_id = $1 AND number = $2",
            campaign_id,
            number,
        )
        return campaign_from_json(orjson.loads(raw)) if raw is not None else None
