"""Draws and redemptions: each one call to a PL/pgSQL function, one round trip."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg

from core.deadline import remaining
from core.errors import CodeCollision, RequestConflict
from core.model import DrawOutcome, DrawRecord, DrawRequest, Language, RedeemStatus, Redemption
from core.phone import mask
from db.draw_batch import DrawBatcher, SendAlone

# The reply needs time to travel back, and the database's clock may differ a little from
# ours: PostgreSQL stops committing this long before we stop waiting.
COMMIT_MARGIN_SECONDS = 0.5


class PgDrawStore:
    """`command_timeout` is the pool's: without a deadline (core.deadline) a draw waits that
    long, and commits only within it. `max_batch` > 1: group commit (db/draw_batch.py) with
    at most `max_calls` draw calls at once."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        command_timeout: float,
        *,
        max_batch: int = 1,
        max_calls: int = 1,
        on_resent: Callable[[str], None] = lambda sqlstate: None,
    ) -> None:
        self._command_timeout = command_timeout
        self.batcher = DrawBatcher(pool, max_batch, max_calls, COMMIT_MARGIN_SECONDS, on_resent)

    async def record_draw(self, request: DrawRequest) -> DrawRecord:
        args = (
            request.campaign_id,
            request.phone,
            request.local_day,
            request.channel.value,
            request.request_id,
            request.entry,
            request.u,
            request.odds,
            request.picked_prize_id,
            request.code,
            request.expires_at,
            request.now,
        )
        try:
            if self.batcher.busy():
                try:
                    row = await self.batcher.queued(args, *self._time_left())
                except SendAlone:
                    row = await self.batcher.alone(args, *self._time_left())
            else:
                row = await self.batcher.alone(args, *self._time_left())
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

    def _time_left(self) -> tuple[datetime, float]:
        """PostgreSQL's commit-by instant and the call's timeout: what is left of the
        deadline, or the pool's `command_timeout` outside one."""
        left = remaining()
        timeout = self._command_timeout if left is None else min(left, self._command_timeout)
        if timeout <= COMMIT_MARGIN_SECONDS:
            raise TimeoutError("no time left to record the draw")
        return datetime.now(UTC) + timedelta(seconds=timeout - COMMIT_MARGIN_SECONDS), timeout


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
