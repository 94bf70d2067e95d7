"""The outbox: queue what the service sends on its own, and deliver it at least once.

Every instance runs a Dispatcher. A tick claims due rows in batches (FOR UPDATE SKIP LOCKED,
under a lease), waits for each row's send slot (the channel's rate, shared by all
instances), re-reads the recipient, sends, and records the result while the claim is still
its own. A claim whose instance died is taken again once its lease ends: a send accepted by
the provider but not recorded goes out again then (the README names this window).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core import replies
from core.errors import CampaignNotFound, RecipientUnreachable, SendFailed
from core.model import (
    Channel,
    ClaimedMessage,
    DrawResult,
    OutboxStats,
    OutboxStatus,
    OutgoingMessage,
    Recipient,
)
from core.ports import (
    CampaignStore,
    Clock,
    NoTelemetry,
    OutboxStore,
    RandomSource,
    Sender,
    Telemetry,
)
from core.quiet_hours import QuietHours, next_open
from core.retry import RetryPolicy

Sleep = Callable[[float], Awaitable[None]]


class OutboxService:
    """What other use cases and operators ask of the outbox."""

    def __init__(
        self, store: OutboxStore, campaigns: CampaignStore, clock: Clock, quiet_hours: QuietHours
    ) -> None:
        self._store = store
        self._campaigns = campaigns
        self._clock = clock
        self._quiet = quiet_hours

    async def enqueue_coupon(self, result: DrawResult) -> bool:
        """Send a code won without an inline reply (e.g. an admin API draw) to its owner.

        Once per coupon however often it is called; outside quiet hours in the campaign's
        zone. False when there is nothing to send or it was queued already.
        """
        if not result.won or result.code is None or result.expires_at is None:
            return False
        campaign = await self._campaigns.get(result.campaign_id)
        if campaign is None:
            raise CampaignNotFound(f"no campaign {result.campaign_id}")
        now = self._clock()
        body = replies.render(
            "outbox.coupon",
            result.language,
            prize=result.prize_name,
            campaign=campaign.name,
            code=result.code,
            expires=replies.last_valid_day(result.expires_at, campaign.timezone, result.language),
        )
        send_at = next_open(now, campaign.timezone, self._quiet)
        return await self._store.enqueue_coupon(result.code, body, send_at, now)

    async def stats(self) -> OutboxStats:
        return await self._store.stats(self._clock())

    async def depth(self) -> int:
        return await self._store.depth()

    async def retry_dead(self) -> int:
        """Give every dead message a fresh set of attempts, due now; answers how many."""
        return await self._store.retry_dead(self._clock())


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    # Messages per second per channel, across all instances; absent or None: no limit.
    rates: Mapping[Channel, float | None] = field(default_factory=dict)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    lease_seconds: float = 60.0  # longer than the horizon plus one send's timeout
    horizon_seconds: float = 10.0  # how far ahead a claim may reserve send slots
    batch_size: int = 100
    max_in_flight: int = 20  # concurrent sends per channel per instance
    max_batches: int = 50  # per tick, so one tick never runs for ever
    # Local to each message's campaign; None: send at any hour.
    quiet_hours: QuietHours | None = None


class Dispatcher:
    def __init__(
        self,
        store: OutboxStore,
        senders: Mapping[Channel, Sender],
        clock: Clock,
        random: RandomSource,
        config: DispatchConfig | None = None,
        telemetry: Telemetry | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._store = store
        self._senders = senders
        self._clock = clock
        self._random = random
        self._config = config or DispatchConfig()
        self._telemetry = telemetry or NoTelemetry()
        self._sleep = sleep
        self._stopping = asyncio.Event()
        self._ticks = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def stop(self) -> None:
        """Stop gracefully: sends in flight finish and are recorded, every other claimed
        message is handed back at once (not left to its lease), and nothing more is claimed.
        Returns when the tick in progress has ended (the caller bounds the wait)."""
        self._stopping.set()
        await self._idle.wait()

    async def tick(self) -> Counter[str]:
        """Send what is due on every channel with a sender; answers outcomes by name.

        Each message fails on its own ("error": reported, and its lease brings it back): a
        failure never cancels sends in flight, which the provider may have accepted already.
        """
        outcomes: Counter[str] = Counter()
        if self._stopping.is_set():
            return outcomes
        self._ticks += 1
        self._idle.clear()
        try:
            await asyncio.gather(
                *(
                    self._drain(channel, sender, outcomes)
                    for channel, sender in self._senders.items()
                )
            )
        finally:
            self._ticks -= 1
            if not self._ticks:
                self._idle.set()
        return outcomes

    async def _drain(self, channel: Channel, sender: Sender, outcomes: Counter[str]) -> None:
        config = self._config
        rate = config.rates.get(channel)
        in_flight = asyncio.Semaphore(config.max_in_flight)

        async def deliver(claimed: ClaimedMessage) -> None:
            async with in_flight:
                try:
                    outcome = await self._deliver(claimed, sender)
                except Exception as exc:
                    self._telemetry.outbox_failed(channel, claimed.id, exc)
                    outcome = "error"
                outcomes[outcome] += 1

        for _ in range(config.max_batches):
            if self._stopping.is_set():
                return
            try:
                batch = await self._store.claim(
                    channel,
                    config.batch_size,
                    self._clock(),
                    config.lease_seconds,
                    1.0 / rate if rate else None,
                    config.horizon_seconds,
                )
            except Exception as exc:  # nothing claimed: the next tick tries again
                self._telemetry.outbox_failed(channel, None, exc)
                outcomes["error"] += 1
                return
            if not batch:
                return
            await asyncio.gather(*(deliver(claimed) for claimed in batch))

    async def _deliver(self, claimed: ClaimedMessage, sender: Sender) -> str:
        wait = (claimed.send_at - self._clock()).total_seconds()
        if wait > 0:
            await self._pause(wait)
        if self._stopping.is_set():  # not sent yet: hand it back for the next instance
            kept = await self._store.release(claimed.id, claimed.claim)
            return "released" if kept else "lost"
        now = self._clock()
        if claimed.not_after is not None and now >= claimed.not_after:
            return await self._settle(claimed, OutboxStatus.SKIPPED, error="quiet hours began")
        opens = self._quiet_until(claimed, now)
        if opens is not None:  # a retry or a late claim that fell into the night
            await self._settle(
                claimed, OutboxStatus.PENDING, error="quiet hours", next_attempt_at=opens
            )
            return "deferred"
        recipient = await self._store.recipient(claimed.id, claimed.claim, now)
        if recipient is None:  # our lease ended: another instance has it now
            return "lost"
        message = _message(claimed, recipient)
        refusal = _refusal(claimed.channel, recipient)
        if refusal is not None:
            outcome = await self._settle(claimed, OutboxStatus.SKIPPED, error=refusal)
        else:
            outcome = await self._send(claimed, message, sender)
        self._telemetry.sent(message, outcome)
        return outcome

    async def _pause(self, seconds: float) -> None:
        """Wait for a send slot, or until the dispatcher is stopped."""
        sleeping = asyncio.ensure_future(self._sleep(seconds))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({sleeping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeping.cancel()
            stopping.cancel()

    def _quiet_until(self, claimed: ClaimedMessage, now: datetime) -> datetime | None:
        """When quiet hours end, if `now` is inside them in the message's campaign zone."""
        quiet = self._config.quiet_hours
        if quiet is None or claimed.campaign_timezone is None:
            return None
        opens = next_open(now, claimed.campaign_timezone, quiet)
        return opens if opens > now else None

    async def _send(self, claimed: ClaimedMessage, message: OutgoingMessage, sender: Sender) -> str:
        try:
            provider_id = await sender.send(message)
        except RecipientUnreachable as exc:  # the sender marked the customer where it applies
            return await self._settle(claimed, OutboxStatus.SKIPPED, error=f"unreachable: {exc}")
        except SendFailed as exc:
            return await self._retry(claimed, str(exc), exc.retry_after)
        except Exception as exc:  # an unforeseen failure is treated as temporary
            return await self._retry(claimed, repr(exc), None)
        return await self._settle(claimed, OutboxStatus.SENT, provider_id=provider_id)

    async def _retry(self, claimed: ClaimedMessage, error: str, retry_after: float | None) -> str:
        policy = self._config.retry
        if policy.gives_up(claimed.attempts):
            return await self._settle(claimed, OutboxStatus.DEAD, error=error)
        delay = policy.delay(claimed.attempts, self._random.uniform(), retry_after)
        next_attempt_at = self._clock() + timedelta(seconds=delay)
        await self._settle(
            claimed, OutboxStatus.PENDING, error=error, next_attempt_at=next_attempt_at
        )
        return "retry"

    async def _settle(
        self,
        claimed: ClaimedMessage,
        status: OutboxStatus,
        *,
        provider_id: str | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> str:
        kept = await self._store.settle(
            claimed.id,
            claimed.claim,
            status,
            self._clock(),
            provider_id=provider_id,
            error=error,
            next_attempt_at=next_attempt_at,
        )
        return status.value if kept else "lost"


def _message(claimed: ClaimedMessage, recipient: Recipient) -> OutgoingMessage:
    return OutgoingMessage(
        id=claimed.id,
        customer_id=claimed.customer_id,
        channel=claimed.channel,
        kind=claimed.kind,
        body=claimed.body,
        phone=recipient.phone,
        telegram_chat_id=recipient.telegram_chat_id,
        campaign_keyword=claimed.campaign_keyword,
        language=recipient.language,
    )


def _refusal(channel: Channel, recipient: Recipient) -> str | None:
    """Why this message must not go out now, checked at send time; None to send it.

    The SMS anti-pumping guard (texted us first, allowed country) sits in the SMS sender.
    """
    if recipient.opted_out:
        return "opted out"
    if recipient.stale is not None:
        return recipient.stale
    if channel is Channel.TELEGRAM and recipient.telegram_blocked:
        return "blocked the bot"
    return None
