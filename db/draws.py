"""Draws and redemptions: each one call to a PL/pgSQL function, one round trip."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from core.errors import RequestConflict
from core.model import DrawOutcome, DrawRecord, DrawRequest, Language, RedeemStatus, Redemption
from core.phone import mask
from core.ports import CodeCollision


class PgDrawStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record_draw(self, request: DrawRequest) -> DrawRecord:
        try:
            row = await self._pool.fetchrow(
                "SELECT * FROM ld_draw($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                request.campaign_id,
                request.phone,
                request.local_day,
                request.channel.value,
                request.request_id,
                request.picked_prize_id,
                request.code,
                request.expires_at,
                request.now,
            )
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "coupon_code_key":
                raise CodeCollision(request.code) from exc
            raise
        assert row is not None
        if row["status"] == "conflict":
            raise RequestConflict(f"request id {request.request_id!r} was used for another draw")
        if row["status"] == "closed":
            return DrawRecord(outcome=DrawOutcome.NO_PRIZE, replayed=False, closed=True)
        return DrawRecord(
            outcome=DrawOutcome(row["status"]),
            replayed=row["kind"] == "replayed",
            already=row["kind"] == "already",
            first_request_id=row["first_request"],
            prize_name=row["prize_name"],
            code=row["code"],
            expires_at=row["expires_at"],
            language=Language(row["language"]) if row["language"] else None,
        )


class PgRedemptionStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def redeem(
        self, code: str, staff_phone: str, now: datetime, request_id: str | None
    ) -> Redemption:
        row = await self._pool.fetchrow(
            "SELECT * FROM ld_redeem($1, $2, $3, $4)", code, staff_phone, now, request_id
        )
        assert row is not None
        if row["status"] == "request_conflict":
            raise RequestConflict(f"request id {request_id!r} was used for another redemption")
        return Redemption(
            status=RedeemStatus(row["status"]),
            code=code,
            prize_name=row["prize_name"],
            masked_phone=mask(row["phone"]) if row["phone"] else None,
            redeemed_at=row["redeemed_at"],
            expires_at=row["expires_at"],
        )

    async def record_refusal(self, text: str, staff_phone: str, status: str, now: datetime) -> None:
        await self._pool.execute(
            """INSERT INTO redemption_attempt (at, staff_phone, text, status)
               VALUES ($1, $2, $3, $4)""",
            now,
            staff_phone,
            text[:200],
            status,
        )

    async def failures_since(self, staff_phone: str, since: datetime) -> int:
        count = await self._pool.fetchval(
            """SELECT count(*) FROM redemption_attempt
                WHERE staff_phone = $1 AND at >= $2 AND status IN ('unknown', 'malformed')""",
            staff_phone,
            since,
        )
        return int(count)
