"""Campaign lifecycle and statistics."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core import draw as rules
from core.editing import CampaignEdit, Issued, plan_edit
from core.errors import CampaignNotFound, InvalidTransition, KeywordTaken
from core.live import RECENT_MINUTES, SellOut, project
from core.model import (
    Activity,
    AuditAction,
    AuditEntry,
    Campaign,
    CampaignSpec,
    CampaignStats,
    CampaignStatus,
    Coupon,
    CouponRow,
    FieldChange,
    RedemptionAttempt,
)
from core.pacing import ReleaseSchedule, hour_marks, release_window, schedule
from core.phone import mask
from core.ports import AuditStore, CampaignStore, Clock
from core.validation import validated

# Which status each operator action may start from.
_TRANSITIONS = {
    "pause": ({CampaignStatus.ACTIVE}, CampaignStatus.PAUSED),
    "resume": ({CampaignStatus.PAUSED}, CampaignStatus.ACTIVE),
    "end": ({CampaignStatus.ACTIVE, CampaignStatus.PAUSED}, CampaignStatus.ENDED),
}


@dataclass(frozen=True, slots=True)
class LiveView:
    campaign: Campaign
    stats: CampaignStats
    activity: Activity
    sell_outs: tuple[SellOut, ...]
    now: datetime
    schedules: tuple[ReleaseSchedule, ...] = ()  # today's, of each paced prize


class CampaignService:
    def __init__(self, store: CampaignStore, clock: Clock, audit: AuditStore) -> None:
        self._store = store
        self._clock = clock
        self._audit = audit

    async def create(self, spec: CampaignSpec) -> Campaign:
        """Store a campaign that passes core.validation's rules, with its rules' first
        version; raises InvalidCampaign."""
        return await self._store.create(validated(spec), self._clock())

    async def get(self, campaign_id: int) -> Campaign:
        campaign = await self._store.get(campaign_id)
        if campaign is None:
            raise CampaignNotFound(f"no campaign {campaign_id}")
        return campaign

    async def drop_cached(self) -> None:
        """Re-read open campaigns from the database (after changes made outside the service)."""
        await self._store.invalidate()

    async def list(self) -> Sequence[Campaign]:
        return await self._store.list()

    async def home(self) -> Campaign | None:
        """The campaign a message without a keyword is about (its name, language and zone):
        the first open one, else the latest to start, else None."""
        now = self._clock()
        open_now = await self._store.open_campaigns(now)
        if open_now:
            return min(open_now, key=lambda c: c.id)
        return max(await self._store.list(), key=lambda c: c.starts_at, default=None)

    async def pause(self, campaign_id: int, actor: str = "api") -> Campaign:
        return await self._move(campaign_id, "pause", actor)

    async def resume(self, campaign_id: int, actor: str = "api") -> Campaign:
        return await self._move(campaign_id, "resume", actor)

    async def end(self, campaign_id: int, actor: str = "api") -> Campaign:
        return await self._move(campaign_id, "end", actor)

    async def edit(self, campaign_id: int, patch: Mapping[str, Any], actor: str) -> Campaign:
        """Change a campaign by PRODUCT.md's editing rules (core.editing); raises
        InvalidCampaign (EditRefused when what has happened forbids it) naming the field.

        The change, its audit entry and the new version of the official rules are one
        transaction; an edit that changes nothing records nothing.
        """
        now = self._clock()
        entry = AuditEntry(at=now, actor=actor, action=AuditAction.EDIT, campaign_id=campaign_id)

        def plan(current: Campaign, issued: Mapping[int, Issued]) -> CampaignEdit:
            return plan_edit(current, patch, issued, now)

        edited = await self._store.edit(campaign_id, now, plan, entry)
        if edited is None:
            raise CampaignNotFound(f"no campaign {campaign_id}")
        return edited[1]

    async def audit_trail(self, campaign_id: int, limit: int = 100) -> Sequence[AuditEntry]:
        """The campaign's operator actions and edits, newest first."""
        await self.get(campaign_id)
        return await self._audit.trail(campaign_id, limit)

    async def live(self, campaign_id: int) -> LiveView:
        """Stats, today's activity and each prize's projected sell-out, for the live page."""
        campaign = await self.get(campaign_id)
        now = self._clock()
        today = rules.local_day(now, campaign.timezone)
        stats = await self._store.stats(campaign, today, now)
        since = now - timedelta(minutes=RECENT_MINUTES)
        activity = await self._store.activity(campaign, today, since)
        day_ends = rules.next_local_midnight(now, campaign.timezone)
        sell_outs = tuple(
            project(p, activity.recent_wins.get(p.name, 0), now, day_ends) for p in stats.prizes
        )
        dead = tuple(dataclasses.replace(m, phone=mask(m.phone)) for m in activity.dead_messages)
        activity = dataclasses.replace(activity, dead_messages=dead)
        return LiveView(
            campaign, stats, activity, sell_outs, now, await self._schedules(campaign, today, now)
        )

    async def _schedules(
        self, campaign: Campaign, today: date, now: datetime
    ) -> tuple[ReleaseSchedule, ...]:
        window = release_window(campaign, today)
        if window is None or not campaign.starts_at <= now < campaign.ends_at:
            return ()
        marks = await self._store.release_marks(campaign, today, hour_marks(window)[1:])
        names = {p.id: p.name for p in campaign.prizes}
        return tuple(schedule(names[m.prize_id], window, m, now) for m in marks)

    async def coupons(
        self, campaign_id: int, search: str = "", page: int = 0, per_page: int = 50
    ) -> Sequence[CouponRow]:
        """A page of the campaign's coupons, phones masked; `search`: code or phone's end."""
        await self.get(campaign_id)
        rows = await self._store.coupons(campaign_id, search.strip(), page * per_page, per_page)
        return [dataclasses.replace(r, phone=mask(r.phone)) for r in rows]

    async def redemption_log(
        self, campaign_id: int, limit: int = 100
    ) -> Sequence[RedemptionAttempt]:
        await self.get(campaign_id)
        rows = await self._store.redemption_log(campaign_id, limit)
        return [dataclasses.replace(r, staff_phone=mask(r.staff_phone)) for r in rows]

    async def stats(self, campaign_id: int) -> CampaignStats:
        campaign = await self.get(campaign_id)
        now = self._clock()
        return await self._store.stats(campaign, rules.local_day(now, campaign.timezone), now)

    async def winners(
        self, campaign_id: int, *, full: bool = False
    ) -> AsyncGenerator[Coupon, None]:
        """Every coupon issued in the campaign, streamed; phones masked unless `full`.

        Raises CampaignNotFound before the first row, so callers can refuse before streaming.
        """
        await self.get(campaign_id)
        return self._winners(campaign_id, full)

    async def _winners(self, campaign_id: int, full: bool) -> AsyncGenerator[Coupon, None]:
        # aclosing: a client that hangs up mid-download releases the store's connection now.
        async with aclosing(self._store.winners(campaign_id)) as rows:
            async for coupon in rows:
                if full or coupon.phone is None:
                    yield coupon
                else:
                    yield dataclasses.replace(coupon, phone=mask(coupon.phone))

    async def _move(self, campaign_id: int, action: str, actor: str) -> Campaign:
        allowed, target = _TRANSITIONS[action]
        campaign = await self.get(campaign_id)
        if campaign.status not in allowed:
            raise InvalidTransition(
                f"cannot {action} a campaign that is {campaign.status.value}", field="status"
            )
        now = self._clock()
        moved = await self._store.set_status(campaign_id, target, now)
        if moved is None:
            raise CampaignNotFound(f"no campaign {campaign_id}")
        await self._audit.record(
            AuditEntry(
                at=now,
                actor=actor,
                action=AuditAction(action),
                campaign_id=campaign_id,
                changes=(FieldChange("status", campaign.status.value, moved.status.value),),
            )
        )
        return moved


__all__ = ["CampaignService", "KeywordTaken"]
