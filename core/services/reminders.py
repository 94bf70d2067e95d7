"""Daily reminders and coupon expiry notices, put in the outbox when they fall due.

A tick may run on every instance, as often as it likes: reminders are one set-based
INSERT … SELECT guarded by a unique (customer, campaign, local day, kind) key, and notices
have one dedupe key per coupon, so each is enqueued once whoever gets there first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from core import replies
from core.draw import local_day, start_of_day
from core.model import Campaign, Channel, DueReminder, Language, MessageKind, NewMessage
from core.ports import CampaignStore, Clock, OutboxStore
from core.quiet_hours import QuietHours, send_window

# Expiry notices go out at the campaign's reminder time, or this when it has none.
DEFAULT_NOTICE_TIME = time(10, 0)


@dataclass(frozen=True, slots=True)
class Enqueued:
    reminders: int
    expiry_notices: int


class ReminderService:
    def __init__(
        self, campaigns: CampaignStore, store: OutboxStore, clock: Clock, quiet_hours: QuietHours
    ) -> None:
        self._campaigns = campaigns
        self._store = store
        self._clock = clock
        self._quiet = quiet_hours

    async def tick(self) -> Enqueued:
        return Enqueued(await self.enqueue_reminders(), await self.enqueue_expiry_notices())

    async def enqueue_reminders(self) -> int:
        """Reminders of every open campaign whose send window is open now.

        To each opted-in customer who played the campaign on an earlier local day and not
        today, on the channel they used last; the window starts at the campaign's
        reminder_time (or when quiet hours end) and closes when quiet hours begin.
        """
        now = self._clock()
        due = []
        for campaign in await self._campaigns.open_campaigns(now):
            if campaign.reminder_time is None:
                continue
            day = local_day(now, campaign.timezone)
            window = send_window(day, campaign.timezone, campaign.reminder_time, self._quiet)
            if window is not None and window.opens <= now < window.closes:
                due.append(
                    DueReminder(campaign.id, day, window.opens, window.closes, _bodies(campaign))
                )
        if not due:
            return 0
        return await self._store.enqueue_reminders(due, now)

    async def enqueue_expiry_notices(self) -> int:
        """A notice the day before a coupon's last valid day, once, unless redeemed."""
        now = self._clock()
        added = 0
        for campaign in await self._campaigns.list():
            if _coupons_all_expired(campaign, now):
                continue
            day = local_day(now, campaign.timezone)
            notice_time = campaign.reminder_time or DEFAULT_NOTICE_TIME
            window = send_window(day, campaign.timezone, notice_time, self._quiet)
            if window is None or not window.opens <= now < window.closes:
                continue
            # Coupons expire at the start of a local day: the last valid day is tomorrow
            # when they expire at the start of the day after.
            expiring = await self._store.expiring_coupons(
                campaign.id,
                start_of_day(day + timedelta(days=2), campaign.timezone),
                start_of_day(day + timedelta(days=3), campaign.timezone),
                issued_before=day,
            )
            messages = [
                NewMessage(
                    customer_id=c.customer_id,
                    channel=c.channel,
                    kind=MessageKind.EXPIRY_NOTICE,
                    body=replies.render(
                        "outbox.expiry",
                        c.language,
                        prize=c.prize_name,
                        code=c.code,
                        expires=replies.last_valid_day(c.expires_at, campaign.timezone, c.language),
                    ),
                    dedupe_key=f"expiry:{c.coupon_id}",
                    next_attempt_at=window.opens,
                    not_after=window.closes,
                    campaign_id=c.campaign_id,
                    coupon_id=c.coupon_id,
                )
                for c in expiring
            ]
            if messages:
                added += await self._store.enqueue(messages, now)
        return added


def _bodies(campaign: Campaign) -> dict[str, str]:
    """The reminder's text per "<channel>:<language>", for the database to pick per customer."""
    return {
        f"{channel.value}:{language.value}": replies.render(
            f"outbox.reminder.{channel.value}",
            language,
            campaign=campaign.name,
            keyword=campaign.keyword,
        )
        for channel in (Channel.SMS, Channel.TELEGRAM)
        for language in Language
    }


def _coupons_all_expired(campaign: Campaign, now: datetime) -> bool:
    longest = max((p.valid_days for p in campaign.prizes), default=0)
    return campaign.ends_at + timedelta(days=longest + 2) < now
