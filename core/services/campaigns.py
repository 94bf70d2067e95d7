"""Campaign lifecycle and statistics."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Sequence
from contextlib import aclosing

from core import draw as rules
from core.errors import CampaignNotFound, InvalidTransition, KeywordTaken
from core.model import Campaign, CampaignSpec, CampaignStats, CampaignStatus, Coupon
from core.phone import mask
from core.ports import CampaignStore, Clock
from core.validation import validated

# Which status each operator action may start from.
_TRANSITIONS = {
    "pause": ({CampaignStatus.ACTIVE}, CampaignStatus.PAUSED),
    "resume": ({CampaignStatus.PAUSED}, CampaignStatus.ACTIVE),
    "end": ({CampaignStatus.ACTIVE, CampaignStatus.PAUSED}, CampaignStatus.ENDED),
}


class CampaignService:
    def __init__(self, store: CampaignStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def create(self, spec: CampaignSpec) -> Campaign:
        """Store a campaign that passes core.validation's rules; raises InvalidCampaign."""
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

    async def pause(self, campaign_id: int) -> Campaign:
        return await self._move(campaign_id, "pause")

    async def resume(self, campaign_id: int) -> Campaign:
        return await self._move(campaign_id, "resume")

    async def end(self, campaign_id: int) -> Campaign:
        return await self._move(campaign_id, "end")

    async def stats(self, campaign_id: int) -> CampaignStats:
        campaign = await self.get(campaign_id)
        today = rules.local_day(self._clock(), campaign.timezone)
        return await self._store.stats(campaign, today)

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

    async def _move(self, campaign_id: int, action: str) -> Campaign:
        allowed, target = _TRANSITIONS[action]
        campaign = await self.get(campaign_id)
        if campaign.status not in allowed:
            raise InvalidTransition(
                f"cannot {action} a campaign that is {campaign.status.value}", field="status"
            )
        moved = await self._store.set_status(campaign_id, target)
        if moved is None:
            raise CampaignNotFound(f"no campaign {campaign_id}")
        return moved


__all__ = ["CampaignService", "KeywordTaken"]
