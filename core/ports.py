"""What the core needs from the outside world; db/, sms/ and bot/ implement these."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Protocol

from core.model import (
    Campaign,
    CampaignSpec,
    CampaignStats,
    CampaignStatus,
    Channel,
    Coupon,
    Customer,
    DrawRecord,
    DrawRequest,
    DrawResult,
    Language,
    OutgoingMessage,
    Redemption,
    Staff,
)

Clock = Callable[[], datetime]


class CodeCollision(Exception):
    """The store refused a coupon code that already exists; draw again with a new one."""


class RandomSource(Protocol):
    def uniform(self) -> float: ...
    def token_bytes(self, n: int) -> bytes: ...


class SystemRandomSource:
    """The operating system's CSPRNG."""

    def uniform(self) -> float:
        return secrets.randbits(53) / (1 << 53)

    def token_bytes(self, n: int) -> bytes:
        return secrets.token_bytes(n)


class CampaignStore(Protocol):
    async def create(self, spec: CampaignSpec, now: datetime) -> Campaign: ...
    async def get(self, campaign_id: int) -> Campaign | None: ...
    async def list(self) -> Sequence[Campaign]: ...
    async def open_campaigns(self, now: datetime) -> Sequence[Campaign]: ...
    async def by_keyword(self, keyword: str) -> Sequence[Campaign]: ...
    async def set_status(self, campaign_id: int, status: CampaignStatus) -> Campaign | None: ...
    async def stats(self, campaign: Campaign, today: date) -> CampaignStats: ...


class DrawStore(Protocol):
    async def record_draw(self, request: DrawRequest) -> DrawRecord:
        """One atomic round trip; raises CodeCollision when the code exists already."""
        ...


class DrawGate(Protocol):
    """A fast, fallible memory of today's draws. It may forget; it never grants."""

    async def recall(
        self, campaign_id: int, phone: str, day: date
    ) -> tuple[str | None, DrawResult] | None:
        """(the request id that drew, the draw's result) when this phone drew on `day`."""
        ...

    async def remember(
        self, phone: str, day: date, request_id: str | None, result: DrawResult, until: datetime
    ) -> None: ...


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        """Count one event; seconds to wait when over `limit` in the window, else None.

        Returns None (allow) when its store is unreachable: a limiter must not stop play.
        """
        ...

    async def count(self, key: str) -> int | None:
        """Events in the current window, or None when its store is unreachable."""
        ...

    async def reset(self, key: str) -> None: ...


class CustomerStore(Protocol):
    async def get(self, phone: str) -> Customer | None: ...
    async def ensure(self, phone: str, channel: Channel, now: datetime) -> Customer: ...
    async def set_opt_out(
        self, phone: str, opted_out: bool, source: str, now: datetime
    ) -> None: ...
    async def set_language(self, phone: str, language: Language, now: datetime) -> None: ...
    async def coupons(self, phone: str, now: datetime) -> Sequence[Coupon]: ...


class StaffStore(Protocol):
    async def add(self, phone: str, name: str | None, now: datetime) -> Staff: ...
    async def remove(self, phone: str) -> bool: ...
    async def list(self) -> Sequence[Staff]: ...
    async def is_staff(self, phone: str) -> bool: ...


class RedemptionStore(Protocol):
    async def redeem(
        self, code: str, staff_phone: str, now: datetime, request_id: str | None
    ) -> Redemption:
        """Redeem at most once, before expiry, recording the attempt: one transaction."""
        ...

    async def record_refusal(
        self, text: str, staff_phone: str, status: str, now: datetime
    ) -> None: ...

    async def failures_since(self, staff_phone: str, since: datetime) -> int: ...


class RecipientUnreachable(Exception):
    """Permanent: the recipient opted out at the provider (Twilio 21610) or blocked the bot.

    The customer is marked and the message is never retried.
    """


class SendFailed(Exception):
    """Temporary: retry later, after `retry_after` seconds when the provider says so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Sender(Protocol):
    """Delivers one message on one channel; answers the provider's message id."""

    async def send(self, message: OutgoingMessage) -> str | None: ...
