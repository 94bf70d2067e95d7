"""Campaigns and prizes in PostgreSQL, with the open ones cached in memory and Redis."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import date, datetime
from time import monotonic
from typing import TYPE_CHECKING

import asyncpg
import orjson

from core.draw import local_day, start_of_day
from core.editing import CampaignEdit, Issued
from core.errors import KeywordTaken
from core.model import (
    Activity,
    AuditEntry,
    Campaign,
    CampaignSpec,
    CampaignStats,
    CampaignStatus,
    Coupon,
    CouponRow,
    DeadMessage,
    Language,
    OpenHours,
    Pacing,
    PrizeStats,
    RedemptionAttempt,
)
from core.pacing import ReleaseMarks, ReleaseWindow, release_window
from core.ports import EditPlanner
from db.audit import insert_entry
from db.campaign_json import campaign_from_json, campaign_to_json, prize_from_json
from db.proofs import commit_chain, record_odds
from db.redis_store import SafeRedis
from db.rules import publish_version

_SELECT = """
SELECT c.*, coalesce(jsonb_agg(jsonb_build_object(
           'id', p.id, 'name', p.name, 'probability', p.probability,
           'total_quota', p.total_quota, 'daily_quota', p.daily_quota,
           'valid_days', p.valid_days, 'pacing', p.pacing) ORDER BY p.position)
         FILTER (WHERE p.id IS NOT NULL), '[]') AS prizes
  FROM campaign c LEFT JOIN prize p ON p.campaign_id = c.id AND p.removed_at IS NULL
"""

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    Conn = PoolConnectionProxy[asyncpg.Record]


class PgCampaignStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, spec: CampaignSpec, now: datetime) -> Campaign:
        async with self._pool.acquire() as conn, conn.transaction():
            await _check_keyword_free(conn, spec)
            campaign_id = await conn.fetchval(
                """INSERT INTO campaign (name, keyword, timezone, starts_at, ends_at,
                                         reminder_time, language, created_at, organizer,
                                         organizer_contact, open_from, open_until,
                                         max_wins_per_customer)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                   RETURNING id""",
                spec.name,
                spec.keyword,
                spec.timezone,
                spec.starts_at,
                spec.ends_at,
                spec.reminder_time,
                spec.language.value,
                now,
                spec.organizer,
                spec.organizer_contact,
                spec.open_hours.start,
                spec.open_hours.end,
                spec.max_wins_per_customer,
            )
            await conn.executemany(
                """INSERT INTO prize (campaign_id, position, name, probability, total_quota,
                                      daily_quota, valid_days, pacing)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                [
                    (campaign_id, i, p.name, p.probability, p.total_quota, p.daily_quota,
                     p.valid_days, p.pacing.value)
                    for i, p in enumerate(spec.prizes)
                ],
            )  # fmt: skip
            await commit_chain(conn, campaign_id, spec.timezone, spec.starts_at, spec.ends_at, now)
            row = await conn.fetchrow(_SELECT + " WHERE c.id = $1 GROUP BY c.id", campaign_id)
            assert row is not None
            campaign = _campaign(row)
            await record_odds(conn, campaign, now)
            await publish_version(conn, campaign, now)
        return campaign

    async def edit(
        self, campaign_id: int, now: datetime, plan: EditPlanner, audit: AuditEntry
    ) -> tuple[Campaign, Campaign, CampaignEdit] | None:
        async with self._pool.acquire() as conn, conn.transaction():
            # NO KEY UPDATE: draws and coupons referencing the campaign (KEY SHARE) go on.
            if not await conn.fetchval(
                "SELECT true FROM campaign WHERE id = $1 FOR NO KEY UPDATE", campaign_id
            ):
                return None
            before = await _fetch(conn, campaign_id)
            issued = await _hold_quotas(conn, before, local_day(now, before.timezone))
            change = plan(before, issued)
            if not change.changes:
                return before, before, change
            if change.spec.keyword != before.keyword or change.spec.starts_at != before.starts_at:
                await _check_keyword_free(conn, change.spec, campaign_id)
            await _write_edit(conn, campaign_id, change, now)
            await insert_entry(conn, dataclasses.replace(audit, changes=change.changes))
            after = await _fetch(conn, campaign_id)
            await record_odds(conn, after, now)
            await publish_version(conn, after, now)
        return before, after, change

    async def get(self, campaign_id: int) -> Campaign | None:
        row = await self._pool.fetchrow(_SELECT + " WHERE c.id = $1 GROUP BY c.id", campaign_id)
        return _campaign(row) if row else None

    async def list(self) -> Sequence[Campaign]:
        rows = await self._pool.fetch(_SELECT + " GROUP BY c.id ORDER BY c.id")
        return [_campaign(r) for r in rows]

    async def open_campaigns(self, now: datetime) -> Sequence[Campaign]:
        return [c for c in await self._active(now) if c.is_open(now)]

    async def _active(self, now: datetime) -> Sequence[Campaign]:
        """Active and not yet ended (some may not have started: callers check the time)."""
        rows = await self._pool.fetch(
            _SELECT + " WHERE c.status = 'active' AND c.ends_at > $1 GROUP BY c.id ORDER BY c.id",
            now,
        )
        return [_campaign(r) for r in rows]

    async def invalidate(self) -> None:
        """Nothing cached at this level."""

    async def by_keyword(self, keyword: str) -> Sequence[Campaign]:
        rows = await self._pool.fetch(_SELECT + " WHERE c.keyword = $1 GROUP BY c.id", keyword)
        return [_campaign(r) for r in rows]

    async def set_status(
        self, campaign_id: int, status: CampaignStatus, now: datetime
    ) -> Campaign | None:
        # Ending a paused campaign keeps the moment it stopped taking entries: the pause.
        await self._pool.execute(
            """UPDATE campaign SET status = $2,
                      stopped_at = CASE WHEN $2 = 'active' THEN NULL
                                        ELSE coalesce(stopped_at, $3) END
                WHERE id = $1""",
            campaign_id,
            status.value,
            now,
        )
        return await self.get(campaign_id)

    async def stats(self, campaign: Campaign, today: date, now: datetime) -> CampaignStats:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            draws = await conn.fetchrow(
                """SELECT count(*) AS draws, count(*) FILTER (WHERE local_day = $2) AS today
                     FROM draw WHERE campaign_id = $1""",
                campaign.id,
                today,
            )
            prizes = await conn.fetch(_PRIZE_STATS, campaign.id, today, now)
        assert draws is not None
        window = release_window(campaign, today)
        prize_stats = tuple(
            PrizeStats(
                name=r["name"],
                total_quota=r["total_quota"],
                daily_quota=r["daily_quota"],
                issued=r["issued"],
                issued_today=r["issued_today"],
                released_today=_released_today(r, campaign, window, now),
                redeemed=r["redeemed"],
            )
            for r in prizes
        )
        return CampaignStats(
            campaign_id=campaign.id,
            draws=draws["draws"],
            draws_today=draws["today"],
            wins=sum(p.issued for p in prize_stats),
            prizes=prize_stats,
        )

    async def activity(self, campaign: Campaign, today: date, since: datetime) -> Activity:
        ids = [p.id for p in campaign.prizes]
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            minutes = await conn.fetch(
                """SELECT date_trunc('minute', created_at) AS minute, count(*) AS n
                     FROM draw WHERE campaign_id = $1 AND local_day = $2
                    GROUP BY 1 ORDER BY 1""",
                campaign.id,
                today,
            )
            wins = await conn.fetch(
                """SELECT p.name, count(*) AS n FROM coupon c JOIN prize p ON p.id = c.prize_id
                    WHERE c.prize_id = ANY($1::bigint[]) AND c.issued_day = $2
                      AND c.issued_at >= $3
                    GROUP BY p.name""",
                ids,
                today,
                since,
            )
            redeemed = await conn.fetchval(
                """SELECT count(*) FROM coupon
                    WHERE campaign_id = $1 AND redeemed_at >= $2""",
                campaign.id,
                start_of_day(today, campaign.timezone),
            )
            outbox = await conn.fetch(
                """SELECT status, count(*) AS n,
                          min(created_at) FILTER (WHERE status <> 'dead') AS oldest
                     FROM outbox WHERE campaign_id = $1
                      AND status IN ('pending', 'sending', 'dead')
                    GROUP BY status""",
                campaign.id,
            )
            dead = await conn.fetch(_DEAD_MESSAGES, campaign.id, _DEAD_SHOWN)
        depth = dict.fromkeys(("pending", "sending", "dead"), 0)
        depth |= {r["status"]: r["n"] for r in outbox}
        return Activity(
            draws_per_minute=tuple((r["minute"], r["n"]) for r in minutes),
            recent_wins={r["name"]: r["n"] for r in wins},
            redemptions_today=redeemed,
            outbox_pending=depth["pending"] + depth["sending"],
            outbox_dead=depth["dead"],
            outbox_by_status=depth,
            oldest_pending_at=min((r["oldest"] for r in outbox if r["oldest"]), default=None),
            dead_messages=tuple(DeadMessage(**dict(r)) for r in dead),
        )

    async def release_marks(
        self, campaign: Campaign, today: date, ends: Sequence[datetime]
    ) -> Sequence[ReleaseMarks]:
        paced = [p.id for p in campaign.prizes if p.pacing is Pacing.EVEN]
        if not paced:
            return ()
        rows = await self._pool.fetch(_RELEASE_MARKS, paced, today, list(ends))
        return [
            ReleaseMarks(
                prize_id=r["id"],
                units=_day_units(r),
                made=r["day_made"],
                released=tuple(r["released"]),
                issued=tuple(r["issued_by"]),
            )
            for r in rows
        ]

    async def coupons(
        self, campaign_id: int, search: str, offset: int, limit: int
    ) -> Sequence[CouponRow]:
        code = search.upper().replace("-", "")
        digits = "".join(ch for ch in search if ch.isdigit())
        rows = await self._pool.fetch(
            """SELECT c.code, p.name AS prize_name, cu.phone, c.issued_at, c.expires_at,
                      c.redeemed_at
                 FROM coupon c
                 JOIN prize p ON p.id = c.prize_id
                 JOIN customer cu ON cu.id = c.customer_id
                WHERE c.campaign_id = $1
                  AND ($2 = '' OR replace(c.code, '-', '') LIKE $3 || '%'
                       OR ($4 <> '' AND cu.phone LIKE '%' || $4))
                ORDER BY c.id DESC OFFSET $5 LIMIT $6""",
            campaign_id,
            search,
            code,
            digits,
            offset,
            limit,
        )
        return [CouponRow(**dict(r)) for r in rows]

    async def redemption_log(self, campaign_id: int, limit: int) -> Sequence[RedemptionAttempt]:
        rows = await self._pool.fetch(
            """SELECT a.at, a.staff_phone, s.name AS staff_name, a.text, a.status, a.code
                 FROM redemption_attempt a
                 JOIN coupon c ON c.id = a.coupon_id
                 LEFT JOIN staff s ON s.phone = a.staff_phone
                WHERE c.campaign_id = $1
                ORDER BY a.id DESC LIMIT $2""",
            campaign_id,
            limit,
        )
        return [RedemptionAttempt(**dict(r)) for r in rows]

    async def winners(self, campaign_id: int) -> AsyncGenerator[Coupon, None]:
        # Keyset pages of `_WINNER_BATCH` rows, each one short query: memory stays bounded
        # however many coupons the campaign issued, and no connection or transaction is
        # held while a slow client downloads the page before.
        after = 0
        while True:
            page = await self._pool.fetch(_WINNERS, campaign_id, after, _WINNER_BATCH)
            for row in page:
                yield Coupon(**{k: v for k, v in row.items() if k != "id"})
            if len(page) < _WINNER_BATCH:
                return
            after = page[-1]["id"]


# Per prize: coupons, and today's units as the draw function sized them (`day_units` is NULL
# until a draw today picked the prize), how many it made, and those released and not yet won.
_PRIZE_STATS = """
SELECT p.name, p.total_quota, p.daily_quota, p.pacing, pd.quota AS day_units,
       coalesce(pd.created, 0) AS day_made,
       count(c.id) AS issued,
       count(c.id) FILTER (WHERE c.issued_day = $2) AS issued_today,
       count(c.id) FILTER (WHERE c.redeemed_at IS NOT NULL) AS redeemed,
       (SELECT count(*) FROM prize_slot s
         WHERE s.prize_id = p.id AND s.day = $2 AND s.released_at <= $3) AS released_unclaimed
  FROM prize p
  LEFT JOIN coupon c ON c.prize_id = p.id
  LEFT JOIN prize_day pd ON pd.prize_id = p.id AND pd.day = $2
 WHERE p.campaign_id = $1 AND p.removed_at IS NULL
 GROUP BY p.id, pd.quota, pd.created ORDER BY p.position
"""


def _released_today(
    row: asyncpg.Record, campaign: Campaign, window: ReleaseWindow | None, now: datetime
) -> int:
    """Units of today winnable by `now`: won ones, released ones left, and of the units not
    made yet (their instants are drawn when they are made) those whose slice has passed."""
    if not campaign.starts_at <= now < campaign.ends_at:
        return int(row["issued_today"])
    units = _day_units(row)
    if row["pacing"] == Pacing.NONE:
        return int(units)
    unmade = max(0, window.released_at_least(units, now) - row["day_made"]) if window else 0
    return int(row["issued_today"] + row["released_unclaimed"] + unmade)


def _day_units(row: asyncpg.Record) -> int:
    """Today's units as the draw function sized them, or will size them at the first draw."""
    units = row["day_units"]
    if units is None:
        before_today = row["issued"] - row["issued_today"]
        units = min(row["daily_quota"], row["total_quota"] - before_today)
    return int(units)


_DEAD_SHOWN = 10
_DEAD_MESSAGES = """
SELECT o.created_at, o.channel, o.kind, cu.phone, o.attempts, o.last_error
  FROM outbox o JOIN customer cu ON cu.id = o.customer_id
 WHERE o.campaign_id = $1 AND o.status = 'dead'
 ORDER BY o.id DESC LIMIT $2
"""

# Per paced prize and hour end ($3): made units released by then (prize_release keeps each
# made unit's instant; a claimed slot is deleted) and coupons issued before then.
_RELEASE_MARKS = """
SELECT p.id, p.daily_quota, p.total_quota, pd.quota AS day_units,
       coalesce(pd.created, 0) AS day_made,
       (SELECT count(*) FROM coupon c WHERE c.prize_id = p.id) AS issued,
       (SELECT count(*) FROM coupon c WHERE c.prize_id = p.id AND c.issued_day = $2)
           AS issued_today,
       ARRAY(SELECT (SELECT count(*) FROM prize_release r
                      WHERE r.prize_id = p.id AND r.day = $2 AND r.released_at <= e)
               FROM unnest($3::timestamptz[]) WITH ORDINALITY AS m(e, i) ORDER BY i) AS released,
       ARRAY(SELECT (SELECT count(*) FROM coupon c
                      WHERE c.prize_id = p.id AND c.issued_day = $2 AND c.issued_at < e)
               FROM unnest($3::timestamptz[]) WITH ORDINALITY AS m(e, i) ORDER BY i) AS issued_by
  FROM prize p
  LEFT JOIN prize_day pd ON pd.prize_id = p.id AND pd.day = $2
 WHERE p.id = ANY($1::bigint[]) AND p.removed_at IS NULL
 ORDER BY p.position
"""


async def _fetch(conn: Conn, campaign_id: int) -> Campaign:
    row = await conn.fetchrow(_SELECT + " WHERE c.id = $1 GROUP BY c.id", campaign_id)
    assert row is not None
    return _campaign(row)


async def _check_keyword_free(
    conn: Conn, spec: CampaignSpec, campaign_id: int | None = None
) -> None:
    # Serialise writers of one keyword so the overlap check holds.
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", spec.keyword)
    clash = await conn.fetchval(
        """SELECT name FROM campaign WHERE keyword = $1 AND status <> 'ended'
             AND starts_at < $3 AND ends_at > $2 AND id IS DISTINCT FROM $4 LIMIT 1""",
        spec.keyword,
        spec.starts_at,
        spec.ends_at,
        campaign_id,
    )
    if clash is not None:
        raise KeywordTaken(
            f"keyword {spec.keyword} is used by {clash!r} in overlapping dates", field="keyword"
        )


async def _hold_quotas(conn: Conn, campaign: Campaign, today: date) -> Mapping[int, Issued]:
    """Exact issued counts, held still until the transaction ends.

    Locking the prizes stops slot makers; deleting every unclaimed slot (waiting for draws
    that are claiming one) leaves nothing to claim. Draws meanwhile find no slot and wait for
    the prize lock, then make new slots from the quotas as edited.
    """
    ids = [p.id for p in campaign.prizes]
    await conn.execute(
        "SELECT 1 FROM prize WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE", ids
    )
    await conn.execute("DELETE FROM prize_slot WHERE prize_id = ANY($1::bigint[])", ids)
    # Every slot made is now a coupon: the counters say so again.
    await conn.execute(
        """UPDATE prize p SET created = (SELECT count(*) FROM coupon c WHERE c.prize_id = p.id)
            WHERE p.id = ANY($1::bigint[])""",
        ids,
    )
    await conn.execute(
        """UPDATE prize_day d SET created = (SELECT count(*) FROM coupon c
                                              WHERE c.prize_id = d.prize_id
                                                AND c.issued_day = d.day)
            WHERE d.prize_id = ANY($1::bigint[])""",
        ids,
    )
    rows = await conn.fetch(
        """SELECT p.id, count(c.id) AS total, count(c.id) FILTER (WHERE c.issued_day = $2) AS today
             FROM prize p LEFT JOIN coupon c ON c.prize_id = p.id
            WHERE p.id = ANY($1::bigint[]) GROUP BY p.id""",
        ids,
        today,
    )
    return {r["id"]: Issued(total=r["total"], today=r["today"]) for r in rows}


async def _write_edit(conn: Conn, campaign_id: int, change: CampaignEdit, now: datetime) -> None:
    spec = change.spec
    await conn.execute(
        """UPDATE campaign SET name = $2, keyword = $3, timezone = $4, starts_at = $5,
                               ends_at = $6, reminder_time = $7, language = $8, organizer = $9,
                               organizer_contact = $10, open_from = $11, open_until = $12,
                               max_wins_per_customer = $13
            WHERE id = $1""",
        campaign_id,
        spec.name,
        spec.keyword,
        spec.timezone,
        spec.starts_at,
        spec.ends_at,
        spec.reminder_time,
        spec.language.value,
        spec.organizer,
        spec.organizer_contact,
        spec.open_hours.start,
        spec.open_hours.end,
        spec.max_wins_per_customer,
    )
    await conn.execute(
        "UPDATE prize SET removed_at = $2 WHERE id = ANY($1::bigint[])", change.removed, now
    )
    for position, (p, prize_id) in enumerate(zip(spec.prizes, change.prize_ids, strict=True)):
        if prize_id is None:
            await conn.execute(
                """INSERT INTO prize (campaign_id, position, name, probability, total_quota,
                                      daily_quota, valid_days, pacing)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
                campaign_id, position, p.name, p.probability, p.total_quota, p.daily_quota,
                p.valid_days, p.pacing.value,
            )  # fmt: skip
        else:
            await conn.execute(
                """UPDATE prize SET position = $2, name = $3, probability = $4,
                                    total_quota = $5, daily_quota = $6, valid_days = $7,
                                    pacing = $8
                    WHERE id = $1""",
                prize_id, position, p.name, p.probability, p.total_quota, p.daily_quota,
                p.valid_days, p.pacing.value,
            )  # fmt: skip
    # A day's units (prize_day.quota) follow the edited quotas: days that issued nothing start
    # again from the prize as it is now (pacing and open hours too), the others are re-sized.
    await conn.execute(
        """DELETE FROM prize_day d USING prize p
            WHERE p.id = d.prize_id AND p.campaign_id = $1 AND d.created = 0""",
        campaign_id,
    )
    await conn.execute(
        """UPDATE prize_day d
              SET quota = greatest(d.created, least(p.daily_quota,
                                                    p.total_quota - (p.created - d.created)))
             FROM prize p WHERE p.id = d.prize_id AND p.campaign_id = $1""",
        campaign_id,
    )


_WINNER_BATCH = 500
_WINNERS = """
SELECT c.id, c.code, p.name AS prize_name, cp.name AS campaign_name, c.issued_at, c.expires_at,
       c.redeemed_at, cu.phone
  FROM coupon c
  JOIN prize p ON p.id = c.prize_id
  JOIN campaign cp ON cp.id = c.campaign_id
  JOIN customer cu ON cu.id = c.customer_id
 WHERE c.campaign_id = $1 AND c.id > $2
 ORDER BY c.id
 LIMIT $3
"""


class CachedCampaignStore(PgCampaignStore):
    """Open campaigns from process memory for a second, else from Redis for `ttl` seconds.

    Every change here drops both copies. The draw function re-checks status and dates, so
    another instance's stale copy can only cost a refusal, never a draw in a closed campaign.
    """

    def __init__(
        self, pool: asyncpg.Pool, redis: SafeRedis, ttl_seconds: int = 30, local_seconds: float = 1
    ) -> None:
        super().__init__(pool)
        self._redis = redis
        self._ttl = ttl_seconds
        self._local_seconds = local_seconds
        self._local: tuple[float, Sequence[Campaign]] | None = None
        # Versioned with the JSON's shape: instances of an older release keep their own copy.
        self._key = redis.key("campaigns", "active", 2)

    async def _active(self, now: datetime) -> Sequence[Campaign]:
        if self._local is not None and monotonic() < self._local[0]:
            return self._local[1]
        campaigns = await self._shared(now)
        self._local = (monotonic() + self._local_seconds, campaigns)
        return campaigns

    async def _shared(self, now: datetime) -> Sequence[Campaign]:
        """From Redis, else from PostgreSQL (and then into Redis for the other instances)."""
        raw = await self._redis.run(lambda r: r.get(self._key), None)
        if raw is not None:
            return [campaign_from_json(c) for c in orjson.loads(raw)]
        campaigns = await super()._active(now)
        payload = orjson.dumps([campaign_to_json(c) for c in campaigns])
        await self._redis.run(lambda r: r.set(self._key, payload, ex=self._ttl), None)
        return campaigns

    async def create(self, spec: CampaignSpec, now: datetime) -> Campaign:
        campaign = await super().create(spec, now)
        await self.invalidate()
        return campaign

    async def set_status(
        self, campaign_id: int, status: CampaignStatus, now: datetime
    ) -> Campaign | None:
        campaign = await super().set_status(campaign_id, status, now)
        await self.invalidate()
        return campaign

    async def edit(
        self, campaign_id: int, now: datetime, plan: EditPlanner, audit: AuditEntry
    ) -> tuple[Campaign, Campaign, CampaignEdit] | None:
        edited = await super().edit(campaign_id, now, plan, audit)
        await self.invalidate()
        return edited

    async def invalidate(self) -> None:
        self._local = None
        await self._redis.run(lambda r: r.delete(self._key), 0)


def _campaign(row: asyncpg.Record) -> Campaign:
    prizes = row["prizes"]
    if isinstance(prizes, str):
        prizes = orjson.loads(prizes)
    return Campaign(
        id=row["id"],
        name=row["name"],
        keyword=row["keyword"],
        timezone=row["timezone"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        status=CampaignStatus(row["status"]),
        language=Language(row["language"]),
        reminder_time=row["reminder_time"],
        organizer=row["organizer"],
        organizer_contact=row["organizer_contact"],
        open_hours=OpenHours(row["open_from"], row["open_until"]),
        max_wins_per_customer=row["max_wins_per_customer"],
        stopped_at=row["stopped_at"],
        prizes=tuple(prize_from_json(p) for p in prizes),
    )
