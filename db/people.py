"""Customers (consent, language, coupons) and staff."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg

from core.model import Channel, Coupon, Customer, Language, Staff

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
                      c.expires_at, c.redeemed_at
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
    )
