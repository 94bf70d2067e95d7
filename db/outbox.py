"""The outbox table: set-based enqueueing, SKIP LOCKED claims under a lease, shared pacing."""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import asyncpg
import orjson

from core.model import (
    Channel,
    ClaimedMessage,
    DueReminder,
    ExpiringCoupon,
    Language,
    MessageKind,
    NewMessage,
    OutboxCount,
    OutboxStats,
    OutboxStatus,
    Recipient,
)

# One statement for every due campaign: customers who played before the campaign's local day
# and not on it. Inserting in key order keeps concurrent instances from deadlocking.
_ENQUEUE_REMINDERS = """
INSERT INTO outbox (customer_id, channel, kind, body, campaign_id, local_day,
                    next_attempt_at, not_after, created_at)
SELECT cu.id, ch.channel, 'reminder',
       $5::jsonb -> due.campaign_id::text ->> (ch.channel || ':' || coalesce(cu.language,
                                                                               cp.language)),
       due.campaign_id, due.day, due.opens, due.closes, $6
  FROM unnest($1::bigint[], $2::date[], $3::timestamptz[], $4::timestamptz[])
       AS due (campaign_id, day, opens, closes)
  JOIN campaign cp ON cp.id = due.campaign_id
  CROSS JOIN LATERAL (
      SELECT d.customer_id FROM draw d
       WHERE d.campaign_id = due.campaign_id AND d.local_day <= due.day
       GROUP BY d.customer_id HAVING max(d.local_day) < due.day
  ) played
  JOIN customer cu ON cu.id = played.customer_id
  CROSS JOIN LATERAL (
      SELECT ld_reach_channel(cu.last_channel, cu.telegram_user_id) AS channel
  ) ch
 WHERE ld_reachable(cu.opted_out, ch.channel, cu.telegram_user_id, cu.telegram_blocked_at)
 ORDER BY due.campaign_id, cu.id
ON CONFLICT DO NOTHING
"""

_EXPIRING = """
SELECT c.id AS coupon_id, c.customer_id, c.campaign_id, ch.channel, c.code,
       p.name AS prize_name, c.expires_at, coalesce(cu.language, cp.language) AS language
  FROM coupon c
  JOIN prize p ON p.id = c.prize_id
  JOIN campaign cp ON cp.id = c.campaign_id
  JOIN customer cu ON cu.id = c.customer_id
  CROSS JOIN LATERAL (
      SELECT ld_reach_channel(cu.last_channel, cu.telegram_user_id) AS channel
  ) ch
 WHERE c.campaign_id = $1 AND c.redeemed_at IS NULL
   AND c.expires_at >= $2 AND c.expires_at < $3 AND c.issued_day < $4
   AND ld_reachable(cu.opted_out, ch.channel, cu.telegram_user_id, cu.telegram_blocked_at)
   AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedupe_key = 'expiry:' || c.id)
 ORDER BY c.id
"""

_ENQUEUE = """
INSERT INTO outbox (customer_id, channel, kind, body, dedupe_key, next_attempt_at, not_after,
                    campaign_id, coupon_id, created_at)
SELECT m.*, $10 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
                            $6::timestamptz[], $7::timestamptz[], $8::bigint[], $9::bigint[])
                     AS m
 ORDER BY 5
ON CONFLICT DO NOTHING
RETURNING 1
"""

_ENQUEUE_COUPON = """
INSERT INTO outbox (customer_id, channel, kind, body, campaign_id, coupon_id, dedupe_key,
                    next_attempt_at, created_at)
SELECT c.customer_id, ch.channel, 'coupon', $2, c.campaign_id, c.id, 'coupon:' || c.id, $3, $4
  FROM coupon c
  JOIN customer cu ON cu.id = c.customer_id
  CROSS JOIN LATERAL (
      SELECT ld_reach_channel(cu.last_channel, cu.telegram_user_id) AS channel
  ) ch
 WHERE c.code = $1
ON CONFLICT DO NOTHING
RETURNING id
"""

# Locks the channel's pace row (creating it on first use) until the claim commits.
_LOCK_PACE = """
INSERT INTO outbox_pace AS op (channel, next_slot) VALUES ($1, $2)
ON CONFLICT (channel) DO UPDATE SET next_slot = op.next_slot
RETURNING next_slot
"""

_CLAIM = """
WITH due AS (
    SELECT id FROM outbox
     WHERE channel = $1
       AND ((status = 'pending' AND next_attempt_at <= $2)
            OR (status = 'sending' AND claimed_until <= $2))
     ORDER BY next_attempt_at, id
     LIMIT $3
       FOR UPDATE SKIP LOCKED
)
UPDATE outbox o
   SET status = 'sending', attempts = o.attempts + 1, claimed_until = $4, claim_token = $5
  FROM due
 WHERE o.id = due.id
RETURNING o.id, o.customer_id, o.kind, o.body, o.attempts, o.not_after, o.next_attempt_at,
          (SELECT keyword FROM campaign WHERE id = o.campaign_id) AS campaign_keyword,
          (SELECT timezone FROM campaign WHERE id = o.campaign_id) AS campaign_timezone
"""

_RECIPIENT = """
SELECT cu.phone, cu.language, cu.opted_out, cu.telegram_user_id,
       cu.telegram_blocked_at IS NOT NULL AS telegram_blocked,
       CASE
         WHEN o.kind = 'reminder' AND NOT EXISTS (
              SELECT 1 FROM campaign cp WHERE cp.id = o.campaign_id AND cp.status = 'active'
                 AND $3 >= cp.starts_at AND $3 < cp.ends_at)
           THEN 'campaign closed'
         WHEN o.kind = 'reminder' AND EXISTS (
              SELECT 1 FROM draw d WHERE d.campaign_id = o.campaign_id
                 AND d.customer_id = o.customer_id AND d.local_day = o.local_day)
           THEN 'played today'
         WHEN c.redeemed_at IS NOT NULL THEN 'coupon redeemed'
         WHEN c.expires_at <= $3 THEN 'coupon expired'
       END AS stale
  FROM outbox o
  JOIN customer cu ON cu.id = o.customer_id
  LEFT JOIN coupon c ON c.id = o.coupon_id
 WHERE o.id = $1 AND o.claim_token = $2 AND o.status = 'sending' AND o.claimed_until > $3
"""

_SETTLE = """
UPDATE outbox
   SET status = $3,
       provider_id = coalesce($4, provider_id),
       last_error = coalesce($5, last_error),
       next_attempt_at = coalesce($6, next_attempt_at),
       sent_at = CASE WHEN $3 = 'sent' THEN $7::timestamptz END,
       claimed_until = NULL, claim_token = NULL
 WHERE id = $1 AND claim_token = $2 AND status = 'sending'
RETURNING 1
"""


class PgOutboxStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def enqueue_reminders(self, due: Sequence[DueReminder], now: datetime) -> int:
        status = await self._pool.execute(
            _ENQUEUE_REMINDERS,
            [d.campaign_id for d in due],
            [d.local_day for d in due],
            [d.opens for d in due],
            [d.closes for d in due],
            orjson.dumps({str(d.campaign_id): d.bodies for d in due}).decode(),
            now,
        )
        return int(status.split()[-1])  # "INSERT 0 <rows>"

    async def expiring_coupons(
        self, campaign_id: int, expires_from: datetime, expires_to: datetime, issued_before: date
    ) -> Sequence[ExpiringCoupon]:
        rows = await self._pool.fetch(
            _EXPIRING, campaign_id, expires_from, expires_to, issued_before
        )
        return [
            ExpiringCoupon(
                coupon_id=r["coupon_id"],
                customer_id=r["customer_id"],
                campaign_id=r["campaign_id"],
                channel=Channel(r["channel"]),
                code=r["code"],
                prize_name=r["prize_name"],
                expires_at=r["expires_at"],
                language=Language(r["language"]),
            )
            for r in rows
        ]

    async def enqueue(self, messages: Sequence[NewMessage], now: datetime) -> int:
        added = await self._pool.fetch(
            _ENQUEUE,
            [m.customer_id for m in messages],
            [m.channel.value for m in messages],
            [m.kind.value for m in messages],
            [m.body for m in messages],
            [m.dedupe_key for m in messages],
            [m.next_attempt_at for m in messages],
            [m.not_after for m in messages],
            [m.campaign_id for m in messages],
            [m.coupon_id for m in messages],
            now,
        )
        return len(added)

    async def enqueue_coupon(self, code: str, body: str, send_at: datetime, now: datetime) -> bool:
        return await self._pool.fetchval(_ENQUEUE_COUPON, code, body, send_at, now) is not None

    async def claim(
        self,
        channel: Channel,
        limit: int,
        now: datetime,
        lease_seconds: float,
        spacing_seconds: float | None,
        horizon_seconds: float,
    ) -> Sequence[ClaimedMessage]:
        token = uuid.uuid4()
        async with self._pool.acquire() as conn, conn.transaction():
            first_slot = now
            if spacing_seconds:
                next_slot = await conn.fetchval(_LOCK_PACE, channel.value, now)
                first_slot = max(next_slot, now)
                free = (now + timedelta(seconds=horizon_seconds) - first_slot).total_seconds()
                limit = min(limit, max(0, math.floor(free / spacing_seconds)))
                if limit == 0:
                    return []
            rows = await conn.fetch(
                _CLAIM, channel.value, now, limit, now + timedelta(seconds=lease_seconds), token
            )
            rows = sorted(rows, key=lambda r: (r["next_attempt_at"], r["id"]))
            spacing = timedelta(seconds=spacing_seconds or 0)
            if spacing and rows:
                await conn.execute(
                    "UPDATE outbox_pace SET next_slot = $2 WHERE channel = $1",
                    channel.value,
                    first_slot + spacing * len(rows),
                )
        return [
            ClaimedMessage(
                id=r["id"],
                customer_id=r["customer_id"],
                channel=channel,
                kind=MessageKind(r["kind"]),
                body=r["body"],
                attempts=r["attempts"],
                claim=str(token),
                send_at=first_slot + spacing * i,
                not_after=r["not_after"],
                campaign_keyword=r["campaign_keyword"],
                campaign_timezone=r["campaign_timezone"],
            )
            for i, r in enumerate(rows)
        ]

    async def recipient(self, message_id: int, claim: str, now: datetime) -> Recipient | None:
        row = await self._pool.fetchrow(_RECIPIENT, message_id, uuid.UUID(claim), now)
        if row is None:
            return None
        return Recipient(
            phone=row["phone"],
            language=Language(row["language"]) if row["language"] else None,
            opted_out=row["opted_out"],
            telegram_chat_id=row["telegram_user_id"],  # a private chat's id is the user's
            telegram_blocked=row["telegram_blocked"],
            stale=row["stale"],
        )

    async def release(self, message_id: int, claim: str) -> bool:
        kept = await self._pool.fetchval(
            """UPDATE outbox
                  SET status = 'pending', attempts = attempts - 1,
                      claimed_until = NULL, claim_token = NULL
                WHERE id = $1 AND claim_token = $2 AND status = 'sending'
            RETURNING 1""",
            message_id,
            uuid.UUID(claim),
        )
        return kept is not None

    async def settle(
        self,
        message_id: int,
        claim: str,
        status: OutboxStatus,
        now: datetime,
        *,
        provider_id: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        kept = await self._pool.fetchval(
            _SETTLE,
            message_id,
            uuid.UUID(claim),
            status.value,
            provider_id,
            error[:500] if error else None,
            next_attempt_at,
            now,
        )
        return kept is not None

    async def stats(self, now: datetime) -> OutboxStats:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            rows = await conn.fetch(
                """SELECT channel, kind, status, count(*) AS n FROM outbox
                    GROUP BY channel, kind, status ORDER BY channel, kind, status"""
            )
            due = await conn.fetchrow(
                """SELECT count(*) AS n, min(next_attempt_at) AS oldest FROM outbox
                    WHERE (status = 'pending' AND next_attempt_at <= $1)
                       OR (status = 'sending' AND claimed_until <= $1)""",
                now,
            )
        assert due is not None
        return OutboxStats(
            counts=tuple(
                OutboxCount(
                    Channel(r["channel"]), MessageKind(r["kind"]), OutboxStatus(r["status"]), r["n"]
                )
                for r in rows
            ),
            due_now=due["n"],
            oldest_due_at=due["oldest"],
        )

    async def depth(self) -> int:
        count = await self._pool.fetchval(
            "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
        )
        return int(count)

    async def retry_dead(self, now: datetime) -> int:
        status = await self._pool.execute(
            """UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1
                WHERE status = 'dead'""",
            now,
        )
        return int(status.split()[-1])
