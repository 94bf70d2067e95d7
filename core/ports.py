"""What the core needs from the outside world; db/, sms/ and bot/ implement these."""

from __future__ import annotations

import secrets
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from core.editing import CampaignEdit, Issued
from core.model import (
    Activity,
    AuditEntry,
    Campaign,
    CampaignSpec,
    CampaignStats,
    CampaignStatus,
    Channel,
    ClaimedMessage,
    ConsentEvent,
    Coupon,
    CouponRow,
    Customer,
    DrawRecord,
    DrawRequest,
    DrawResult,
    DrawSummary,
    DueReminder,
    ExpiringCoupon,
    Language,
    NewMessage,
    OutboxStats,
    OutboxStatus,
    OutgoingMessage,
    Recipient,
    Redemption,
    RedemptionAttempt,
    RulesVersion,
    SentMessage,
    Staff,
)
from core.pacing import ReleaseMarks
from core.proof import (
    Commitment,
    DaySecrets,
    LoggedDraw,
    PublishedDay,
    QuotaFigures,
    SeedChain,
)

Clock = Callable[[], datetime]
# The pure decision an edit makes from the campaign as it is and what its prizes issued.
EditPlanner = Callable[[Campaign, Mapping[int, Issued]], CampaignEdit]


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
    async def create(self, spec: CampaignSpec, now: datetime) -> Campaign:
        """Store a campaign with the first version of its rules, in one transaction."""
        ...

    async def get(self, campaign_id: int) -> Campaign | None: ...
    async def list(self) -> Sequence[Campaign]: ...
    async def open_campaigns(self, now: datetime) -> Sequence[Campaign]: ...
    async def invalidate(self) -> None:
        """Forget any cached copy: the next read comes from the database."""
        ...

    async def by_keyword(self, keyword: str) -> Sequence[Campaign]: ...
    async def set_status(
        self, campaign_id: int, status: CampaignStatus, now: datetime
    ) -> Campaign | None:
        """Move the campaign to `status`; pausing or ending records `now` as `stopped_at`
        (kept when a paused campaign ends), resuming clears it."""
        ...

    async def stats(self, campaign: Campaign, today: date, now: datetime) -> CampaignStats: ...
    async def activity(self, campaign: Campaign, today: date, since: datetime) -> Activity:
        """Today's draws per minute, wins per prize since `since`, redemptions, outbox."""
        ...

    async def release_marks(
        self, campaign: Campaign, today: date, ends: Sequence[datetime]
    ) -> Sequence[ReleaseMarks]:
        """Each paced prize's made units released, and coupons issued, by each of `ends`."""
        ...

    async def coupons(
        self, campaign_id: int, search: str, offset: int, limit: int
    ) -> Sequence[CouponRow]:
        """Coupons by code (or its start) or the phone's last digits, newest first."""
        ...

    async def redemption_log(self, campaign_id: int, limit: int) -> Sequence[RedemptionAttempt]:
        """Attempts on the campaign's coupons (refused ones too), newest first."""
        ...

    async def edit(
        self, campaign_id: int, now: datetime, plan: EditPlanner, audit: AuditEntry
    ) -> tuple[Campaign, Campaign, CampaignEdit] | None:
        """Apply `plan` to the campaign as it is now, in one transaction: draws' quota claims
        are held still so the issued counts it gets are exact, and `audit` and the next version
        of the official rules are recorded with the plan's changes (an edit never shows without
        its rules version). (before, after, plan); None when there is no such campaign."""
        ...

    def winners(self, campaign_id: int) -> AsyncGenerator[Coupon, None]:
        """Every coupon of the campaign with its owner's phone, streamed in bounded memory."""
        ...


class RulesStore(Protocol):
    async def publish(self, campaign: Campaign, now: datetime) -> RulesVersion:
        """Keep `campaign` as the next version of its rules."""
        ...

    async def versions(self, campaign_id: int) -> Sequence[RulesVersion]:
        """Every version, oldest first."""
        ...

    async def read(self, campaign_id: int, number: int) -> Campaign | None:
        """The campaign as version `number` of its rules published it."""
        ...


class AuditStore(Protocol):
    async def record(self, entry: AuditEntry) -> None: ...
    async def trail(self, campaign_id: int | None, limit: int) -> Sequence[AuditEntry]:
        """The campaign's latest entries (every entry's, for None), newest first."""
        ...


class DrawStore(Protocol):
    async def record_draw(self, request: DrawRequest) -> DrawRecord:
        """One atomic round trip; raises CodeCollision when the code exists already, and
        RequestConflict when the request id belongs to another customer's or campaign's draw."""
        ...


@dataclass(frozen=True, slots=True)
class FloodRule:
    """At most `limit` messages per `window_seconds` on counter `key`; the first message over
    it also counts once on `warned_key`, so only that one gets an answer."""

    key: str
    warned_key: str
    limit: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class Admission:
    """What one look before a draw found: the flood count, and today's draw if remembered
    (over the limit, only with the first refusal, whose answer it gives a language)."""

    retry_after: int | None  # over the limit: seconds to wait; None: go on
    first_over: bool
    remembered: tuple[str | None, DrawResult] | None


class DrawGate(Protocol):
    """A fast, fallible memory of today's draws. It may forget; it never grants."""

    async def admit(self, campaign_id: int, phone: str, day: date, flood: FloodRule) -> Admission:
        """Count the message against `flood` and recall today's draw, in one round trip.

        Store unreachable: allowed, nothing remembered (the database still refuses repeats).
        """
        ...

    async def recall(
        self, campaign_id: int, phone: str, day: date
    ) -> tuple[str | None, DrawResult] | None:
        """(the request id that drew, the draw's result) when this phone drew on `day`."""
        ...

    async def remember(
        self, phone: str, day: date, request_id: str | None, result: DrawResult, until: datetime
    ) -> None: ...

    async def forget(self, phone: str) -> None:
        """Drop what is remembered for `phone` (its replies would now read differently)."""
        ...


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_seconds: int) -> int | None:
        """Count one event; seconds to wait when over `limit` in the window, else None.

        Returns None (allow) when its store is unreachable: a limiter must not stop play.
        """
        ...

    async def reserve(
        self, key: str, limit: int, window_seconds: int, now: float, token: str
    ) -> bool | None:
        """Take one of `limit` places in the sliding window ending at `now` (seconds), in one
        atomic step; False when they are all taken, None when the store is unreachable."""
        ...

    async def forget(self, key: str, token: str) -> None:
        """Give back the place `token` took: what it counted turned out not to count."""
        ...


@dataclass(frozen=True, slots=True)
class TelegramLink:
    """What a linked Telegram account's /draw needs: the phone, and its own language."""

    phone: str
    language: Language | None


class TelegramLinks(Protocol):
    """A fast, fallible copy of which phone each Telegram account is linked to.

    Written through on every change of what it holds (linking, language); it may forget,
    and an unreachable store reads as "not known" (the database answers then).
    """

    async def get(self, user_id: int) -> TelegramLink | None: ...
    async def put(self, user_id: int, link: TelegramLink, *, replace: bool) -> None:
        """`replace=False` (a copy read from the database) never overwrites a newer write."""
        ...

    async def forget(self, user_id: int) -> None: ...


class CustomerStore(Protocol):
    async def get(self, phone: str) -> Customer | None: ...
    async def ensure(self, phone: str, channel: Channel, now: datetime) -> Customer: ...
    async def set_opt_out(
        self, phone: str, opted_out: bool, source: str, now: datetime
    ) -> None: ...
    async def set_language(self, phone: str, language: Language, now: datetime) -> int | None:
        """Answers the Telegram account linked to `phone`, if any."""
        ...

    async def coupons(self, phone: str, now: datetime) -> Sequence[Coupon]: ...
    async def by_telegram(self, user_id: int) -> Customer | None: ...
    async def link_telegram(
        self, phone: str, user_id: int, now: datetime
    ) -> tuple[Customer, int | None]:
        """Tie `user_id` to `phone` (creating the customer), moving it off any other phone;
        also answers the account `phone` was linked to before, if another."""
        ...

    async def set_telegram_blocked(self, phone: str, blocked: bool, now: datetime) -> None: ...
    async def history(
        self, phone: str, limit: int
    ) -> tuple[Sequence[DrawSummary], Sequence[Coupon]]:
        """The latest `limit` draws and coupons (any state), newest first."""
        ...

    async def contact_log(
        self, phone: str, limit: int
    ) -> tuple[Sequence[ConsentEvent], Sequence[SentMessage]]:
        """The latest opt-outs/opt-ins and outbox messages, newest first."""
        ...


class StaffStore(Protocol):
    async def add(self, phone: str, name: str | None, now: datetime) -> Staff: ...
    async def remove(self, phone: str) -> bool: ...
    async def list(self) -> Sequence[Staff]: ...
    async def is_staff(self, phone: str) -> bool: ...


class RedemptionStore(Protocol):
    async def redeem(
        self, code: str, staff_phone: str, now: datetime, request_id: str | None
    ) -> Redemption:
        """Redeem at most once, before expiry, recording the attempt: one transaction.

        A reused request id replays only for the same staff phone and code; otherwise the
        attempt is recorded and RequestConflict raised."""
        ...

    async def record_refusal(
        self, text: str, staff_phone: str, status: str, now: datetime
    ) -> None: ...

    async def failures_since(self, staff_phone: str, since: datetime) -> int: ...


class Deduplicator(Protocol):
    """Remembers keys of deliveries handled (a webhook's delivery id), so a redelivery of
    one that was handled is not handled again."""

    async def seen(self, key: str) -> bool:
        """Was `key` handled within its TTL? False whenever the store is away."""
        ...

    async def remember(self, key: str, ttl_seconds: int) -> None:
        """`key` was handled: only now, so a delivery cut off midway is handled again."""
        ...


class Sender(Protocol):
    """Delivers one message on one channel; answers the provider's message id."""

    async def send(self, message: OutgoingMessage) -> str | None: ...


class SmsStore(Protocol):
    """Inbound SMS with their replies, who may be texted, and outbound delivery status."""

    async def begin_inbound(
        self, message_sid: str, phone: str, body: str, now: datetime
    ) -> str | None:
        """Record a signed inbound message and that `phone` texted us, and claim it.

        Answers the stored reply when this message was answered before (a retried webhook);
        while another copy of it is being handled, waits for that copy's reply. None: the
        caller handles it, then calls `finish_inbound` (or `release_inbound` on failure).
        """
        ...

    async def finish_inbound(self, message_sid: str, reply: str, now: datetime) -> None: ...

    async def release_inbound(self, message_sid: str) -> None:
        """Handling failed: the next copy handles the message again."""
        ...

    async def may_text(self, phone: str) -> bool:
        """Has `phone` texted us, and not opted out since?"""
        ...

    async def record_status(
        self,
        message_sid: str,
        phone: str | None,
        status: str,
        rank: int,
        error_code: int | None,
        now: datetime,
    ) -> None:
        """Keep the furthest delivery status (callbacks may arrive out of order)."""
        ...


class Telemetry(Protocol):
    """Where use cases report each draw, redemption and send (app/: a log line and metrics).

    Phones arrive unmasked; the implementation masks them before they leave the process.
    """

    def drew(self, phone: str, channel: Channel, outcome: str, result: DrawResult | None) -> None:
        """`outcome` is a DrawOutcome value, "replayed", or the refusal's error code."""
        ...

    def redeemed(self, staff_phone: str, status: str, code: str | None) -> None: ...

    def sent(self, message: OutgoingMessage, status: str) -> None: ...

    def outbox_failed(self, channel: Channel, message_id: int | None, error: Exception) -> None:
        """A claim or one message's delivery failed unexpectedly (e.g. the database)."""
        ...

    def refused(self, surface: str, reason: str, **context: object) -> None:
        """A request the service did not do, answered with why (`surface`: api, console,
        public, sms, telegram; `reason`: the refusal's code). No phones in `context`."""
        ...


class NoTelemetry:
    """Reports go nowhere (services built without an observer, e.g. in pure tests)."""

    def drew(self, phone: str, channel: Channel, outcome: str, result: DrawResult | None) -> None:
        pass

    def redeemed(self, staff_phone: str, status: str, code: str | None) -> None:
        pass

    def sent(self, message: OutgoingMessage, status: str) -> None:
        pass

    def outbox_failed(self, channel: Channel, message_id: int | None, error: Exception) -> None:
        pass

    def refused(self, surface: str, reason: str, **context: object) -> None:
        pass


class OutboxStore(Protocol):
    """The outbox table: enqueue once, claim under a lease, settle while the claim is ours."""

    async def enqueue_reminders(self, due: Sequence[DueReminder], now: datetime) -> int:
        """One set-based INSERT … SELECT for every due campaign; answers the rows added."""
        ...

    async def expiring_coupons(
        self, campaign_id: int, expires_from: datetime, expires_to: datetime, issued_before: date
    ) -> Sequence[ExpiringCoupon]:
        """Unredeemed coupons of reachable customers expiring in [from, to), not yet noticed."""
        ...

    async def enqueue(self, messages: Sequence[NewMessage], now: datetime) -> int:
        """Add what is not there yet (by dedupe key); answers the rows added."""
        ...

    async def enqueue_coupon(self, code: str, body: str, send_at: datetime, now: datetime) -> bool:
        """Queue the delivery of a coupon to its owner, once; False if it was queued already."""
        ...

    async def claim(
        self,
        channel: Channel,
        limit: int,
        now: datetime,
        lease_seconds: float,
        spacing_seconds: float | None,
        horizon_seconds: float,
    ) -> Sequence[ClaimedMessage]:
        """Due rows (and claims past their lease), skipping rows other instances hold.

        With `spacing_seconds`, each claimed row gets the next free send slot of the channel,
        shared by all instances, and no more rows are claimed than fit in the horizon.
        """
        ...

    async def release(self, message_id: int, claim: str) -> bool:
        """Hand back a claimed message never sent (due again at once); False: not ours."""
        ...

    async def recipient(self, message_id: int, claim: str, now: datetime) -> Recipient | None:
        """The recipient as they are now; None unless the claim is still ours and unexpired."""
        ...

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
        """Record a result while the claim is still ours; False if the lease was lost."""
        ...

    async def stats(self, now: datetime) -> OutboxStats: ...

    async def depth(self) -> int:
        """Messages not yet settled (pending or claimed)."""
        ...

    async def retry_dead(self, now: datetime) -> int: ...


class DrawSecrets(Protocol):
    """A campaign's secret chain, read server-side (verifiable draws)."""

    async def for_day(self, campaign_id: int, day: date) -> DaySecrets:
        """The day's seed and the entry key; cached per process, campaign and day."""
        ...

    async def entry_key(self, campaign_id: int) -> bytes: ...

    def forget(self) -> None:
        """Drop every cached secret: the next draw reads them again."""
        ...


class ProofStore(Protocol):
    """Commitments, the draws of a day as their log shows them, and published proofs."""

    async def commitment(self, campaign_id: int) -> Commitment | None: ...

    async def chain(self, campaign_id: int) -> SeedChain | None:
        """The secret chain (to reveal an ended day's seed; never served as such)."""
        ...

    async def unpublished_days(self, campaign_id: int, days: Sequence[date]) -> Sequence[date]: ...

    async def day_record(
        self, campaign_id: int, day: date
    ) -> tuple[list[LoggedDraw], list[QuotaFigures]]:
        """The day's draws in the order the database recorded them, and its quota figures."""
        ...

    async def publish(
        self,
        campaign_id: int,
        day: date,
        seed: bytes,
        log: bytes,
        root: str,
        entries: int,
        now: datetime,
    ) -> bool:
        """Store a day's proof once; False when it was published already."""
        ...

    async def odds(self, campaign_id: int, versions: Sequence[str]) -> dict[str, Any]:
        """The prizes of each odds version asked for (those the store has)."""
        ...

    async def published(self, campaign_id: int, day: date) -> bytes | None: ...

    async def published_days(self, campaign_id: int) -> Sequence[PublishedDay]: ...

    async def entries_of(
        self, campaign_id: int, reference: str
    ) -> Sequence[tuple[date, dict[str, Any]]]:
        """Published entries whose ref starts with `reference`, newest day first."""
        ...
