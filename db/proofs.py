"""Verifiable draws in PostgreSQL: the secret chain, the draws of a day, published proofs."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson
from async_lru import alru_cache

from core.model import Campaign
from core.proof import (
    Commitment,
    DaySecrets,
    LoggedDraw,
    PublishedDay,
    QuotaFigures,
    SeedChain,
    chain_for,
    odds_of,
    odds_version,
)

_CACHE_LIMIT = 4096


async def commit_chain(
    conn: asyncpg.pool.PoolConnectionProxy,
    campaign_id: int,
    timezone: str,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
) -> None:
    """Make and store a new campaign's chain, in its creating transaction."""
    chain = chain_for(timezone, starts_at, ends_at, now, secrets.token_bytes(64))
    await conn.execute(
        """INSERT INTO draw_commitment (campaign_id, first_day, days, last_seed, entry_key,
                                        commitment, committed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        campaign_id,
        chain.first_day,
        chain.days,
        chain.last_seed,
        chain.entry_key,
        chain.commitment,
        now,
    )


async def record_odds(
    conn: asyncpg.pool.PoolConnectionProxy, campaign: Campaign, now: datetime
) -> None:
    """Keep the campaign's odds under their version (once): draws record the version."""
    await conn.execute(
        """INSERT INTO campaign_odds (campaign_id, version, prizes, first_at)
           VALUES ($1, $2, $3::jsonb, $4) ON CONFLICT DO NOTHING""",
        campaign.id,
        odds_version(campaign.prizes),
        orjson.dumps(odds_of(campaign.prizes)).decode(),
        now,
    )


class PgDrawSecrets:
    """Each campaign's chain read once per process; a day's seed derived once per day.

    Concurrent draws that miss share one read (async-lru): at a new day's first minute, or a
    fresh process under load, each would otherwise read the chain and walk it (one SHA-256
    per day to the chain's end, tens of milliseconds for a long campaign) on its own.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._days = alru_cache(maxsize=_CACHE_LIMIT)(self._read_day)
        self._keys = alru_cache(maxsize=_CACHE_LIMIT)(self._read_key)

    async def for_day(self, campaign_id: int, day: date) -> DaySecrets:
        return await self._days(campaign_id, day)

    async def entry_key(self, campaign_id: int) -> bytes:
        return await self._keys(campaign_id)

    def forget(self) -> None:
        self._days.cache_clear()
        self._keys.cache_clear()

    async def _read_day(self, campaign_id: int, day: date) -> DaySecrets:
        chain = await _chain(self._pool, campaign_id)
        return DaySecrets(chain.seed(day), chain.entry_key)

    async def _read_key(self, campaign_id: int) -> bytes:
        return (await _chain(self._pool, campaign_id)).entry_key


async def _chain(pool: asyncpg.Pool, campaign_id: int) -> SeedChain:
    chain = await _read_chain(pool, campaign_id)
    if chain is None:
        raise LookupError(f"campaign {campaign_id} has no committed seed chain")
    return chain


async def _read_chain(pool: asyncpg.Pool, campaign_id: int) -> SeedChain | None:
    row = await pool.fetchrow(
        """SELECT first_day, days, last_seed, entry_key FROM draw_commitment
            WHERE campaign_id = $1""",
        campaign_id,
    )
    return SeedChain(**dict(row)) if row else None


def _instants(released: list[datetime] | None) -> tuple[datetime, ...] | None:
    return None if released is None else tuple(released)


class PgProofStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def commitment(self, campaign_id: int) -> Commitment | None:
        row = await self._pool.fetchrow(
            """SELECT campaign_id, first_day, encode(commitment, 'hex') AS commitment,
                      committed_at FROM draw_commitment WHERE campaign_id = $1""",
            campaign_id,
        )
        return Commitment(**dict(row)) if row else None

    async def chain(self, campaign_id: int) -> SeedChain | None:
        return await _read_chain(self._pool, campaign_id)

    async def unpublished_days(self, campaign_id: int, days: Sequence[date]) -> Sequence[date]:
        rows = await self._pool.fetch(
            """SELECT day FROM unnest($2::date[]) AS day
                WHERE NOT EXISTS (SELECT 1 FROM draw_proof p
                                   WHERE p.campaign_id = $1 AND p.day = day.day)
                ORDER BY day""",
            campaign_id,
            list(days),
        )
        return [r["day"] for r in rows]

    async def day_record(
        self, campaign_id: int, day: date
    ) -> tuple[list[LoggedDraw], list[QuotaFigures]]:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            draws = await conn.fetch(_DAY_DRAWS, campaign_id, day)
            quotas = await conn.fetch(_DAY_QUOTAS, campaign_id, day)
        return (
            [LoggedDraw(**dict(r)) for r in draws],
            [QuotaFigures(**{**dict(r), "released": _instants(r["released"])}) for r in quotas],
        )

    async def publish(
        self,
        campaign_id: int,
        day: date,
        seed: bytes,
        log: bytes,
        root: str,
        entries: int,
        now: datetime,
    ) -> bool:
        added = await self._pool.fetchval(
            """INSERT INTO draw_proof (campaign_id, day, seed, merkle_root, entries, log,
                                       published_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1""",
            campaign_id,
            day,
            seed,
            root,
            entries,
            log,
            now,
        )
        return added is not None

    async def odds(self, campaign_id: int, versions: Sequence[str]) -> dict[str, Any]:
        rows = await self._pool.fetch(
            """SELECT version, prizes::text AS prizes FROM campaign_odds
                WHERE campaign_id = $1 AND version = ANY($2::text[])""",
            campaign_id,
            list(versions),
        )
        return {r["version"]: orjson.loads(r["prizes"]) for r in rows}

    async def published(self, campaign_id: int, day: date) -> bytes | None:
        log: bytes | None = await self._pool.fetchval(
            "SELECT log FROM draw_proof WHERE campaign_id = $1 AND day = $2", campaign_id, day
        )
        return log

    async def published_days(self, campaign_id: int) -> Sequence[PublishedDay]:
        rows = await self._pool.fetch(
            """SELECT day, merkle_root, entries, published_at FROM draw_proof
                WHERE campaign_id = $1 ORDER BY day""",
            campaign_id,
        )
        return [PublishedDay(**dict(r)) for r in rows]

    async def entries_of(
        self, campaign_id: int, reference: str
    ) -> Sequence[tuple[date, dict[str, Any]]]:
        rows = await self._pool.fetch(
            """SELECT p.day, e.value AS entry
                 FROM draw_proof p,
                      jsonb_array_elements(convert_from(p.log, 'UTF8')::jsonb -> 'entries') e
                WHERE p.campaign_id = $1 AND starts_with(e.value ->> 'ref', $2)
                ORDER BY p.day DESC LIMIT 100""",
            campaign_id,
            reference,
        )
        return [(r["day"], orjson.loads(r["entry"])) for r in rows]


# Draws of a day in the order the database recorded them (their ids). Draws made before
# verifiable draws existed (no entry) have nothing to prove and are left out.
_DAY_DRAWS = """
SELECT d.entry, d.created_at AS at, d.u, d.picked_prize_id AS band, d.odds,
       CASE coalesce(d.outcome, CASE WHEN c.id IS NOT NULL THEN 'won'
                                     WHEN d.picked_prize_id IS NULL THEN 'no_prize'
                                     WHEN d.win_capped THEN 'win_capped'
                                     ELSE 'sold_out' END)
            WHEN 'not_released' THEN 'not_yet_released'
            WHEN 'win_capped' THEN 'capped'
            ELSE d.outcome END AS outcome,
       CASE WHEN d.win_capped THEN
           (SELECT count(*) FROM coupon w
             WHERE w.campaign_id = d.campaign_id AND w.customer_id = d.customer_id
               AND w.draw_id < d.id)::int
       ELSE 0 END AS prior_wins
  FROM draw d LEFT JOIN coupon c ON c.draw_id = d.id
 WHERE d.campaign_id = $1 AND d.local_day = $2 AND d.entry IS NOT NULL
 ORDER BY d.id
"""

# Per prize: quotas, the day's units (when any draw made them), coupons issued before and on
# the day, and for a paced prize the instants its units were released.
_DAY_QUOTAS = """
SELECT p.id AS prize_id, p.daily_quota, p.total_quota, pd.quota AS units,
       (SELECT count(*) FROM coupon c WHERE c.prize_id = p.id AND c.issued_day < $2)::int
           AS issued_before,
       (SELECT count(*) FROM coupon c WHERE c.prize_id = p.id AND c.issued_day = $2)::int
           AS issued,
       CASE WHEN p.pacing = 'even' THEN
           coalesce((SELECT array_agg(r.released_at ORDER BY r.released_at) FROM prize_release r
                      WHERE r.prize_id = p.id AND r.day = $2), '{}')
       END AS released
  FROM prize p LEFT JOIN prize_day pd ON pd.prize_id = p.id AND pd.day = $2
 WHERE p.campaign_id = $1
 ORDER BY p.position
"""
