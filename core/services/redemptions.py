"""Staff redeem coupons: once, before expiry, every attempt recorded, guessing locked out."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from core.codes import normalise_code
from core.errors import NotStaff, RedemptionRefused, RequestConflict
from core.model import RedeemStatus, Redemption
from core.ports import Clock, NoTelemetry, RateLimiter, RedemptionStore, StaffStore, Telemetry


@dataclass(frozen=True, slots=True)
class RedeemLimits:
    failures: int = 5
    window_seconds: int = 15 * 60


class RedemptionService:
    def __init__(
        self,
        staff: StaffStore,
        store: RedemptionStore,
        limiter: RateLimiter,
        clock: Clock,
        limits: RedeemLimits | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._telemetry = telemetry or NoTelemetry()
        self._staff = staff
        self._store = store
        self._limiter = limiter
        self._clock = clock
        self._limits = limits or RedeemLimits()

    async def redeem(
        self, text: str, staff_phone: str, request_id: str | None = None
    ) -> Redemption:
        """The redeemed coupon; NotStaff for anyone but staff, and RedemptionRefused (with the
        recorded attempt, so the till can say exactly why) for any other refusal."""
        try:
            result = await self._redeem(text, staff_phone, request_id)
        except NotStaff:
            self._telemetry.redeemed(staff_phone, RedeemStatus.NOT_STAFF, None)
            raise
        except RequestConflict as exc:
            self._telemetry.redeemed(staff_phone, exc.code, None)
            raise
        self._telemetry.redeemed(staff_phone, result.status, result.code)
        if result.status is not RedeemStatus.REDEEMED:
            raise RedemptionRefused(result)
        return result

    async def _redeem(self, text: str, staff_phone: str, request_id: str | None) -> Redemption:
        now = self._clock()
        if not await self._staff.is_staff(staff_phone):
            await self._store.record_refusal(text, staff_phone, RedeemStatus.NOT_STAFF, now)
            raise NotStaff("only staff can redeem")
        # Counted first, atomically: every attempt takes a place as if it were a guess, so
        # simultaneous guesses cannot all be judged; one that was not a guess gives it back.
        key, token = f"redeem-fail:{staff_phone}", secrets.token_hex(8)
        limits = self._limits
        placed = await self._limiter.reserve(
            key, limits.failures, limits.window_seconds, now.timestamp(), token
        )
        # The recorded attempts count too: guesses made while Redis was away, for one.
        since = now - timedelta(seconds=limits.window_seconds)
        if placed is False or await self._store.failures_since(staff_phone, since) >= (
            limits.failures
        ):
            if placed:
                await self._limiter.forget(key, token)
            await self._store.record_refusal(text, staff_phone, RedeemStatus.LOCKED_OUT, now)
            return Redemption(RedeemStatus.LOCKED_OUT)
        code = normalise_code(text)
        if code is None:
            result = Redemption(RedeemStatus.MALFORMED)
            await self._store.record_refusal(text, staff_phone, result.status, now)
        else:
            result = await self._store.redeem(code, staff_phone, now, request_id)
        if placed and result.status not in (RedeemStatus.UNKNOWN, RedeemStatus.MALFORMED):
            # Only guesses count towards the lockout; a used or expired code is a real coupon.
            await self._limiter.forget(key, token)
        return result
