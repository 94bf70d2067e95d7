"""SMS bookkeeping: inbound messages and replies, who may be texted, delivery status."""

from __future__ import annotations

import asyncio
from datetime import datetime

import asyncpg

from core.deadline import remaining

# Claim the message: a new one, or one whose first copy failed or ran out of time. One
# statement, one snapshot: the reply read is what was there before (a retry's answer).
_BEGIN = """
WITH texted AS (
    INSERT INTO customer (phone, created_at, sms_inbound_at) VALUES ($2, $4, $4)
    ON CONFLICT (phone) DO UPDATE SET sms_inbound_at = EXCLUDED.sms_inbound_at
), claimed AS (
    INSERT INTO sms_inbound AS i (message_sid, phone, body, received_at, handling_until)
    VALUES ($1, $2, $3, $4, clock_timestamp() + make_interval(secs => $5))
    ON CONFLICT (message_sid) DO UPDATE SET handling_until = EXCLUDED.handling_until
     WHERE i.reply IS NULL AND (i.handling_until IS NULL OR i.handling_until < clock_timestamp())
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM claimed) AS claimed,
       (SELECT reply FROM sms_inbound WHERE message_sid = $1) AS reply
"""
# A copy in flight elsewhere is polled at this interval: retries in flight are rare.
_WAIT_SECONDS = 0.05
# How long a copy may hold a message when no deadline bounds it.
_HOLD_SECONDS = 15.0

_STATUS = """
INSERT INTO sms_delivery AS d (message_sid, phone, status, rank, error_code, updated_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (message_sid) DO UPDATE
   SET status = EXCLUDED.status, rank = EXCLUDED.rank,
       error_code = coalesce(EXCLUDED.error_code, d.error_code),
       phone = coalesce(d.phone, EXCLUDED.phone), updated_at = EXCLUDED.updated_at
 WHERE EXCLUDED.rank >= d.rank
"""


class PgSmsStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def begin_inbound(
        self, message_sid: str, phone: str, body: str, now: datetime
    ) -> str | None:
        while True:
            left = remaining()
            hold = _HOLD_SECONDS if left is None else max(left, 0.0)
            row = await self._pool.fetchrow(_BEGIN, message_sid, phone, body, now, hold)
            assert row is not None
            if row["claimed"]:
                return None
            if row["reply"] is not None:
                reply: str = row["reply"]
                return reply
            # Another copy is being handled: wait for its reply (or for it to give up).
            await asyncio.sleep(_WAIT_SECONDS)

    async def release_inbound(self, message_sid: str) -> None:
        await self._pool.execute(
            """UPDATE sms_inbound SET handling_until = NULL
                WHERE message_sid = $1 AND reply IS NULL""",
            message_sid,
        )

    async def finish_inbound(self, message_sid: str, reply: str, now: datetime) -> None:
        await self._pool.execute(
            """UPDATE sms_inbound SET reply = $2, answered_at = $3, handling_until = NULL
                WHERE message_sid = $1 AND reply IS NULL""",
            message_sid,
            reply,
            now,
        )

    async def may_text(self, phone: str) -> bool:
        allowed = await self._pool.fetchval(
            """SELECT sms_inbound_at IS NOT NULL AND NOT opted_out
                 FROM customer WHERE phone = $1""",
            phone,
        )
        return bool(allowed)

    async def record_status(
        self,
        message_sid: str,
        phone: str | None,
        status: str,
        rank: int,
        error_code: int | None,
        now: datetime,
    ) -> None:
        await self._pool.execute(_STATUS, message_sid, phone, status, rank, error_code, now)
