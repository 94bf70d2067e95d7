"""SMS bookkeeping: inbound messages and replies, who may be texted, delivery status."""

from __future__ import annotations

from datetime import datetime

import asyncpg

_BEGIN = """
WITH texted AS (
    INSERT INTO customer (phone, created_at, sms_inbound_at) VALUES ($2, $4, $4)
    ON CONFLICT (phone) DO UPDATE SET sms_inbound_at = EXCLUDED.sms_inbound_at
), inbound AS (
    INSERT INTO sms_inbound (message_sid, phone, body, received_at) VALUES ($1, $2, $3, $4)
    ON CONFLICT (message_sid) DO NOTHING
    RETURNING 1
)
SELECT reply FROM sms_inbound WHERE message_sid = $1 AND NOT EXISTS (SELECT 1 FROM inbound)
"""

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
        # One statement: both inserts see the same snapshot, so the final SELECT reads a
        # row only when it was there before (a retry), never the one inserted here.
        reply: str | None = await self._pool.fetchval(_BEGIN, message_sid, phone, body, now)
        return reply

    async def finish_inbound(self, message_sid: str, reply: str, now: datetime) -> None:
        await self._pool.execute(
            """UPDATE sms_inbound SET reply = $2, answered_at = $3
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
