"""Customers (consent, language, coupons) and staff."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from core.model import (
    Channel,
    ConsentEvent,
    Coupon,
    Customer,
    DrawOutcome,
    DrawSummary,
    Language,
    SentMessage,
    Staff,
)

_UPSERT_CUSTOMER = """
INSERT INTO customer (phone, last_channel, created_at) VALUES ($1, $2, $3)
ON CONFLICT (phone) DO UPDATE SET last_channel = EXCLUDED.last_channel
RETURNING *
"""


class PgCustomerStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, phone: str) -> Customer | None:
        row = await self._pool.fetchrow("SELECT * FROM customer WHERE phone = $1", phone)
        return _customer(row) if row else None

    async def ensure(self, phone: str, channel: Channel, now: datetime) -> Customer:
        row = await self._pool.fetchrow(_UPSERT_CUSTOMER, phone, channel.value, now)
        assert row is not None
        return _customer(row)

    async def set_opt_out(self, phone: str, opted_out: bool, source: str, now: datetime) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            customer_id = await conn.fetchval(
                """INSERT INTO customer (phone, opted_out, created_at) VALUES ($1, $2, $3)
                   ON CONFLICT (phone) DO UPDATE SET opted_out = EXCLUDED.opted_out
                   RETURNING id""",
                phone,
                opted_out,
                now,
            )
            await conn.execute(
                """INSERT INTO consent_event (customer_id, opted_out, source, at)
                   VALUES ($1, $2, $3, $4)""",
                customer_id,
                opted_out,
                source,
                now,
            )

    async def set_language(self, phone: str, language: Language, now: datetime) -> None:
        await self._pool.execute(
            """INSERT INTO customer (phone, language, created_at) VALUES ($1, $2, $3)
               ON CONFLICT (phone) DO UPDATE SET language = EXCLUDED.language""",
            phone,
            language.value,
            now,
        )

    async def coupons(self, phone: str, now: datetime) -> Sequence[Coupon]:
        rows = await self._pool.fetch(
            """SELECT c.code, p.name AS prize_name, cp.name AS campaign_name, c.issued_at,
                      c.expires_at, c.redeemed_at, cp.timezone
                 FROM customer cu
                 JOIN coupon c ON c.customer_id = cu.id
                 JOIN prize p ON p.id = c.prize_id
                 JOIN campaign cp ON cp.id = c.campaign_id
                WHERE cu.phone = $1 AND c.redeemed_at IS NULL AND c.expires_at > $2
                ORDER BY c.expires_at, c.id""",
            phone,
            now,
        )
        return [Coupon(**dict(r)) for r in rows]

    async def by_telegram(self, user_id: int) -> Customer | None:
        row = await self._pool.fetchrow(
            "SELECT * FROM customer WHERE telegram_user_id = $1", user_id
        )
        return _customer(row) if row else None

    async def link_telegram(self, phone: str, user_id: int, now: datetime) -> Customer:
        async with self._pool.acquire() as conn, conn.transaction():
            # Serialise links of one Telegram account, so moving it between phones cannot
            # trip the unique key when the same contact arrives twice at once.
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended('telegram:' || $1::bigint, 0))",
                user_id,
            )
            await conn.execute(
                """UPDATE customer SET telegram_user_id = NULL
                    WHERE telegram_user_id = $1 AND phone <> $2""",
                user_id,
                phone,
            )
            row = await conn.fetchrow(
                """INSERT INTO customer (phone, telegram_user_id, last_channel, created_at)
                   VALUES ($1, $2, 'telegram', $3)
                   ON CONFLICT (phone) DO UPDATE
                      SET telegram_user_id = EXCLUDED.telegram_user_id,
                          last_channel = EXCLUDED.last_channel,
                          telegram_blocked_at = NULL
                   RETURNING *""",
                phone,
                user_id,
                now,
            )
        assert row is not None
        return _customer(row)

    async def set_telegram_blocked(self, phone: str, blocked: bool, now: datetime) -> None:
        await self._pool.execute(
            "UPDATE customer SET telegram_blocked_at = $2 WHERE phone = $1",
            phone,
            now if blocked else None,
        )

    async def contact_log(
        self, phone: str, limit: int
    ) -> tuple[Sequence[ConsentEvent], Sequence[SentMessage]]:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            consent = await conn.fetch(
                """SELECT e.opted_out, e.source, e.at FROM consent_event e
                     JOIN customer cu ON cu.id = e.customer_id
                    WHERE cu.phone = $1 ORDER BY e.id DESC LIMIT $2""",
                phone,
                limit,
            )
            messages = await conn.fetch(
                """SELECT o.created_at, o.channel, o.kind, o.status, o.body, o.sent_at,
                          o.last_error
                     FROM outbox o JOIN customer cu ON cu.id = o.customer_id
                    WHERE cu.phone = $1 ORDER BY o.id DESC LIMIT $2""",
                phone,
                limit,
            )
        return (
            [ConsentEvent(**dict(r)) for r in consent],
            [SentMessage(**dict(r)) for r in messages],
        )

    async def history(
        self, phone: str, limit: int
    ) -> tuple[Sequence[DrawSummary], Sequence[Coupon]]:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            draws = await conn.fetch(_DRAW_HISTORY, phone, limit)
            coupons = await conn.fetch(_COUPON_HISTORY, phone, limit)
        return (
            [
                DrawSummary(
                    campaign_id=r["campaign_id"],
                    campaign_name=r["campaign_name"],
                    local_day=r["local_day"],
                    channel=Channel(r["channel"]),
                    outcome=DrawOutcome(r["outcome"]),
                    drawn_at=r["drawn_at"],
                    prize_name=r["prize_name"],
                    code=r["code"],
                )
                for r in draws
            ],
            [Coupon(**dict(r)) for r in coupons],
        )


# Outcome as ld_draw replays it: a coupon means won; a picked prize without one, capped or
# sold out (a paced prize not yet released reads as sold out: nothing was left to win then).
_DRAW_HISTORY = """
SELECT d.campaign_id, cp.name AS campaign_name, d.local_day, d.channel, d.created_at AS drawn_at,
       CASE WHEN c.id IS NOT NULL THEN 'won'
            WHEN d.win_capped THEN 'win_capped'
            WHEN d.picked_prize_id IS NOT NULL THEN 'sold_out'
            ELSE 'no_prize' END AS outcome,
       p.name AS prize_name, c.code
  FROM customer cu
  JOIN draw d ON d.customer_id = cu.id
  JOIN campaign cp ON cp.id = d.campaign_id
  LEFT JOIN coupon c ON c.draw_id = d.id
  LEFT JOIN prize p ON p.id = c.prize_id
 WHERE cu.phone = $1
 ORDER BY d.created_at DESC, d.id DESC
 LIMIT $2
"""

_COUPON_HISTORY = """
SELECT c.code, p.name AS prize_name, cp.name AS campaign_name, c.issued_at, c.expires_at,
       c.redeemed_at
  FROM customer cu
  JOIN coupon c ON c.customer_id = cu.id
  JOIN prize p ON p.id = c.prize_id
  JOIN campaign cp ON cp.id = c.campaign_id
 WHERE cu.phone = $1
 ORDER BY c.issued_at DESC, c.id DESC
 LIMIT $2
"""


class PgStaffStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def add(self, phone: str, name: str | None, now: datetime) -> Staff:
        row = await self._pool.fetchrow(
            """INSERT INTO staff (phone, name, added_at) VALUES ($1, $2, $3)
               ON CONFLICT (phone) DO UPDATE SET name = coalesce(EXCLUDED.name, staff.name)
               RETURNING phone, name""",
            phone,
            name,
            now,
        )
        assert row is not None
        return Staff(phone=row["phone"], name=row["name"])

    async def remove(self, phone: str) -> bool:
        deleted = await self._pool.fetchval("DELETE FROM staff WHERE phone = $1 RETURNING 1", phone)
        return deleted is not None

    async def list(self) -> Sequence[Staff]:
        rows = await self._pool.fetch("SELECT phone, name FROM staff ORDER BY added_at, phone")
        return [Staff(phone=r["phone"], name=r["name"]) for r in rows]

    async def is_staff(self, phone: str) -> bool:
        return bool(await self._pool.fetchval("SELECT 1 FROM staff WHERE phone = $1", phone))


def _customer(row: asyncpg.Record) -> Customer:
    return Customer(
        id=row["id"],
        phone=row["phone"],
        language=Language(row["language"]) if row["language"] else None,
        opted_out=row["opted_out"],
        telegram_user_id=row["telegram_user_id"],
        telegram_blocked=row["telegram_blocked_at"] is not None,
    )
