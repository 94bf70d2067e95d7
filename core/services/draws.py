"""The draw use case: pick in pure code, record in one atomic round trip."""

from __future__ import annotations

from datetime import date, datetime

from core import draw as rules
from core import proof, verify
from core.codes import RANDOM_BYTES, make_code
from core.errors import (
    AlreadyDrewToday,
    CampaignClosed,
    CampaignNotFound,
    CodeCollision,
    KeywordNeeded,
    LuckyDrawError,
    NoActiveCampaign,
    RateLimited,
)
from core.model import Campaign, Channel, DrawRecord, DrawRequest, DrawResult
from core.ports import (
    CampaignStore,
    Clock,
    DrawGate,
    DrawSecrets,
    DrawStore,
    FloodRule,
    NoTelemetry,
    RandomSource,
    RateLimiter,
    Telemetry,
)

CODE_ATTEMPTS = 5


class DrawService:
    def __init__(
        self,
        campaigns: CampaignStore,
        store: DrawStore,
        gate: DrawGate,
        clock: Clock,
        random: RandomSource,
        secrets: DrawSecrets,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._telemetry = telemetry or NoTelemetry()
        self._campaigns = campaigns
        self._store = store
        self._gate = gate
        self._clock = clock
        self._random = random
        self._secrets = secrets

    async def draw(
        self,
        phone: str,
        channel: Channel,
        keyword: str | None = None,
        request_id: str | None = None,
        campaign_id: int | None = None,
        spam: SpamGuard | None = None,
    ) -> DrawResult:
        """Draw once for `phone` (E.164) today; a retried `request_id` gets its first answer.

        The campaign is `campaign_id` when given (admin API), else chosen by `keyword`.
        With `spam` (a customer's message), the message counts against its flood limit in
        the same round trip that recalls today's draw: RateLimited when over it.
        """
        try:
            result = await self._draw(phone, channel, keyword, request_id, campaign_id, spam)
        except LuckyDrawError as exc:
            self._telemetry.drew(phone, channel, exc.code, None)
            raise
        outcome = "replayed" if result.replayed else result.outcome.value
        self._telemetry.drew(phone, channel, outcome, result)
        return result

    async def _draw(
        self,
        phone: str,
        channel: Channel,
        keyword: str | None,
        request_id: str | None,
        campaign_id: int | None,
        spam: SpamGuard | None,
    ) -> DrawResult:
        now = self._clock()
        try:
            if campaign_id is not None:
                campaign = await self._open_campaign(campaign_id, now)
            else:
                campaign = await self.choose_campaign(keyword, now)
        except LuckyDrawError:
            if spam is not None:  # a refused DRAW is still a message: it counts too
                await spam.check(phone)
            raise
        day = rules.local_day(now, campaign.timezone)
        if spam is None:
            remembered = await self._gate.recall(campaign.id, phone, day)
        else:
            admission = await self._gate.admit(campaign.id, phone, day, spam.rule(phone))
            if admission.retry_after is not None:
                today = admission.remembered[1] if admission.remembered else None
                raise RateLimited(
                    admission.retry_after,
                    first=admission.first_over,
                    language=today.language if today else None,
                )
            remembered = admission.remembered
        if remembered is not None:
            first_request, result = remembered
            if request_id and first_request == request_id:
                return result
            raise AlreadyDrewToday(
                campaign.name, result.next_draw_at, campaign.timezone, result.language, result
            )
        record, result = await self._record(campaign, phone, channel, request_id, now, day)
        if record.replayed:
            # The replayed draw may be of an earlier local day: it says nothing about today.
            return result
        first_request = record.first_request_id if record.already else request_id
        await self._gate.remember(phone, day, first_request, result, result.next_draw_at)
        if record.already:
            raise AlreadyDrewToday(
                campaign.name, result.next_draw_at, campaign.timezone, result.language, result
            )
        return result

    def drop_cached(self) -> None:
        """Forget the secrets read so far (the database was replaced underneath: a restore)."""
        self._secrets.forget()

    async def _open_campaign(self, campaign_id: int, now: datetime) -> Campaign:
        campaign = await self._campaigns.get(campaign_id)
        if campaign is None:
            raise CampaignNotFound(f"no campaign {campaign_id}")
        if not campaign.is_open(now):
            raise CampaignClosed(campaign.name, _closed_status(campaign, now))
        return campaign

    async def choose_campaign(self, keyword: str | None, now: datetime) -> Campaign:
        """The open campaign a DRAW means: by keyword, or the only one open."""
        open_now = await self._campaigns.open_campaigns(now)
        if keyword:
            wanted = keyword.upper()
            for campaign in open_now:
                if campaign.keyword == wanted:
                    return campaign
            known = await self._campaigns.by_keyword(wanted)
            if known:
                latest = max(known, key=lambda c: c.starts_at)
                raise CampaignClosed(latest.name, _closed_status(latest, now))
            raise CampaignNotFound(f"no campaign with keyword {wanted}")
        if len(open_now) == 1:
            return open_now[0]
        if not open_now:
            raise NoActiveCampaign("no campaign is open right now")
        raise KeywordNeeded(sorted(c.keyword for c in open_now))

    async def _record(
        self,
        campaign: Campaign,
        phone: str,
        channel: Channel,
        request_id: str | None,
        now: datetime,
        day: date,
    ) -> tuple[DrawRecord, DrawResult]:
        """What the store recorded, and the result it means for this campaign.

        `u` follows from the day's committed seed and the customer's public entry, so it is
        fixed before anyone enters and the same however often the draw is retried.
        """
        day_secrets = await self._secrets.for_day(campaign.id, day)
        entry = proof.entry_of(day_secrets.entry_key, phone)
        u = verify.uniform(day_secrets.seed, campaign.id, day, entry)
        prize = rules.pick_band(campaign.prizes, u)
        next_draw_at = rules.next_local_midnight(now, campaign.timezone)
        for _ in range(CODE_ATTEMPTS):
            request = DrawRequest(
                campaign_id=campaign.id,
                phone=phone,
                local_day=day,
                channel=channel,
                request_id=request_id,
                entry=entry,
                u=u,
                odds=proof.odds_version(campaign.prizes),
                picked_prize_id=prize.id if prize else None,
                code=make_code(self._random.token_bytes(RANDOM_BYTES)) if prize else None,
                expires_at=(
                    rules.coupon_expiry(now, campaign.timezone, prize.valid_days) if prize else None
                ),
                now=now,
            )
            try:
                record = await self._store.record_draw(request)
            except CodeCollision:
                continue
            break
        else:
            raise RuntimeError("could not find a free coupon code")  # ~never: 2^50 codes
        if record.closed:
            raise CampaignClosed(campaign.name, "closed")
        result = DrawResult(
            campaign_id=campaign.id,
            campaign_name=campaign.name,
            keyword=campaign.keyword,
            outcome=record.outcome,
            next_draw_at=next_draw_at,
            language=record.language or campaign.language,
            prize_name=record.prize_name,
            code=record.code,
            expires_at=record.expires_at,
            replayed=record.replayed,
            timezone=campaign.timezone,
            reference=proof.reference_of(entry),
        )
        return record, result


def _closed_status(campaign: Campaign, now: datetime) -> str:
    if campaign.ends_at <= now:
        return "ended"
    return "not started" if campaign.starts_at > now else campaign.status.value


class SpamGuard:
    """Messages per phone per window, checked by channels before any command runs.

    Beyond the limit a sender gets one "slow down" answer and then silence, so a flood costs
    neither replies nor database work: `RateLimited.first` tells the channel which is which.
    Redis away: everyone is allowed.
    """

    def __init__(self, limiter: RateLimiter, per_window: int = 20, window_seconds: int = 60):
        self._limiter = limiter
        self._per_window = per_window
        self._window = window_seconds

    def rule(self, sender: str) -> FloodRule:
        """The sender's counters; `{sender}` is a Redis Cluster hash tag: one slot per sender,
        shared with its draw gate entry, so one script may touch them all."""
        return FloodRule(
            key=f"inbound:{{{sender}}}",
            warned_key=f"inbound-warned:{{{sender}}}",
            limit=self._per_window,
            window_seconds=self._window,
        )

    async def check(self, sender: str) -> None:
        rule = self.rule(sender)
        retry_after = await self._limiter.hit(rule.key, rule.limit, rule.window_seconds)
        if retry_after is not None:
            warned = await self._limiter.hit(rule.warned_key, 1, retry_after)
            raise RateLimited(retry_after, first=warned is None)
