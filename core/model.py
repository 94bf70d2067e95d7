"""The domain, as frozen values. Records from storage are turned into these in db/."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any


class Language(enum.StrEnum):
    EN = "en"
    ZH_HANT = "zh-Hant"


class CampaignStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class Channel(enum.StrEnum):
    SMS = "sms"
    TELEGRAM = "telegram"
    API = "api"
    CHAT = "chat"  # `luckydraw chat`: answered like SMS, never sent to


class DrawOutcome(enum.StrEnum):
    WON = "won"
    NO_PRIZE = "no_prize"  # the band fell outside every prize
    SOLD_OUT = "sold_out"  # the band picked a prize whose quota was used up: still no prize
    NOT_RELEASED = "not_released"  # ... a paced prize with nothing released left yet: no prize
    WIN_CAPPED = "win_capped"  # ... but the customer has reached the campaign's win cap


class Pacing(enum.StrEnum):
    NONE = "none"  # the day's quota is winnable from the start of the day
    EVEN = "even"  # unit k of n is released at a random instant in the k-th slice of open hours


@dataclass(frozen=True, slots=True)
class OpenHours:
    """Local minutes of the day, [start, end): pacing releases prizes over them."""

    start: int = 0
    end: int = 24 * 60

    def __str__(self) -> str:
        return "-".join(f"{m // 60:02d}:{m % 60:02d}" for m in (self.start, self.end))

    @property
    def whole_day(self) -> bool:
        return self.start == 0 and self.end == 24 * 60


class RedeemStatus(enum.StrEnum):
    REDEEMED = "redeemed"
    UNKNOWN = "unknown"
    ALREADY_REDEEMED = "already_redeemed"
    EXPIRED = "expired"
    NOT_STAFF = "not_staff"
    LOCKED_OUT = "locked_out"
    MALFORMED = "malformed"


@dataclass(frozen=True, slots=True)
class PrizeSpec:
    name: str
    probability: float
    total_quota: int
    daily_quota: int
    valid_days: int
    pacing: Pacing = Pacing.NONE


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    name: str
    keyword: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    prizes: tuple[PrizeSpec, ...]
    reminder_time: time | None = None
    language: Language = Language.EN
    organizer: str | None = None
    organizer_contact: str | None = None
    open_hours: OpenHours = OpenHours()
    max_wins_per_customer: int | None = None


@dataclass(frozen=True, slots=True)
class Prize:
    id: int
    name: str
    probability: float
    total_quota: int
    daily_quota: int
    valid_days: int
    pacing: Pacing = Pacing.NONE


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    name: str
    keyword: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    status: CampaignStatus
    language: Language
    prizes: tuple[Prize, ...]
    reminder_time: time | None = None
    organizer: str | None = None
    organizer_contact: str | None = None
    open_hours: OpenHours = OpenHours()
    max_wins_per_customer: int | None = None
    # When it last stopped taking entries (paused, or ended): None while active.
    stopped_at: datetime | None = None

    def is_open(self, now: datetime) -> bool:
        return self.status is CampaignStatus.ACTIVE and self.starts_at <= now < self.ends_at


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field an operator changed, with plain (JSON) values; None is "not set"."""

    field: str
    before: Any
    after: Any


class AuditAction(enum.StrEnum):
    CREATE = "create"
    EDIT = "edit"
    PAUSE = "pause"
    RESUME = "resume"
    END = "end"
    REVEAL_PHONE = "reveal_phone"  # an operator asked to see a customer's full number


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What an operator did, when, through which door (`actor`: "api", "console", "cli")."""

    at: datetime
    actor: str
    action: AuditAction
    campaign_id: int | None = None
    subject: str | None = None  # what the action was about beyond the campaign, e.g. a phone
    changes: tuple[FieldChange, ...] = ()
    id: int | None = None  # given by the store


@dataclass(frozen=True, slots=True)
class Customer:
    id: int
    phone: str
    language: Language | None
    opted_out: bool
    telegram_user_id: int | None = None
    telegram_blocked: bool = False  # the bot was blocked: send nothing on Telegram


@dataclass(frozen=True, slots=True)
class DrawRequest:
    """What the draw store records in one round trip; every choice is made beforehand."""

    campaign_id: int
    phone: str
    local_day: date
    channel: Channel
    request_id: str | None
    entry: str  # the customer's public entry in the campaign (verifiable draws)
    u: float  # from the day's committed seed and the entry: decides the band
    odds: str  # the version of the odds the band was picked with
    picked_prize_id: int | None
    code: str | None
    expires_at: datetime | None
    now: datetime


@dataclass(frozen=True, slots=True)
class DrawRecord:
    """What the store answers: this draw, or the one already recorded for the day/request."""

    outcome: DrawOutcome
    replayed: bool  # the same request id was recorded before: this is its first answer
    already: bool = False  # another request drew for this customer today: this is that draw
    first_request_id: str | None = None
    prize_name: str | None = None
    code: str | None = None
    expires_at: datetime | None = None
    language: Language | None = None  # the customer's own choice, if they made one
    closed: bool = False  # the campaign closed before the draw reached the database


@dataclass(frozen=True, slots=True)
class DrawResult:
    campaign_id: int
    campaign_name: str
    keyword: str
    outcome: DrawOutcome
    next_draw_at: datetime
    language: Language
    prize_name: str | None = None
    code: str | None = None
    expires_at: datetime | None = None
    replayed: bool = False
    timezone: str = "UTC"  # the campaign's: replies show dates in it
    reference: str | None = None  # the customer's entry reference, to find it in the proof

    @property
    def won(self) -> bool:
        return self.outcome is DrawOutcome.WON


@dataclass(frozen=True, slots=True)
class Coupon:
    code: str
    prize_name: str
    campaign_name: str
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None = None
    phone: str | None = None
    timezone: str = "UTC"  # the campaign's: replies show dates in it


@dataclass(frozen=True, slots=True)
class DrawSummary:
    """One past draw of a customer, as an operator reviews it."""

    campaign_id: int
    campaign_name: str
    local_day: date
    channel: Channel
    outcome: DrawOutcome
    drawn_at: datetime
    prize_name: str | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    opted_out: bool  # True: an opt-out, False: an opt-in
    source: str  # e.g. "sms:STOP", "telegram:/start"
    at: datetime


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message the service sent (or tried to) through the outbox."""

    created_at: datetime
    channel: str
    kind: str
    status: str
    body: str
    sent_at: datetime | None = None
    last_error: str | None = None  # why it was skipped, given up on, or is being retried


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """A customer with their latest draws and coupons (redeemed and expired ones too),
    opt-outs and opt-ins, and messages sent."""

    customer: Customer
    draws: tuple[DrawSummary, ...]
    coupons: tuple[Coupon, ...]
    consent: tuple[ConsentEvent, ...] = ()
    messages: tuple[SentMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class Redemption:
    status: RedeemStatus
    code: str | None = None
    prize_name: str | None = None
    masked_phone: str | None = None
    redeemed_at: datetime | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Staff:
    phone: str
    name: str | None


@dataclass(frozen=True, slots=True)
class PrizeStats:
    name: str
    total_quota: int
    daily_quota: int
    issued: int
    issued_today: int
    redeemed: int
    released_today: int = 0  # units of today winnable so far (all of them unless paced)


@dataclass(frozen=True, slots=True)
class CampaignStats:
    campaign_id: int
    draws: int
    draws_today: int
    wins: int
    prizes: tuple[PrizeStats, ...] = field(default_factory=tuple)


class MessageKind(enum.StrEnum):
    REMINDER = "reminder"
    COUPON = "coupon"  # a code won without an inline reply
    EXPIRY_NOTICE = "expiry_notice"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One outbox row as a sender sees it."""

    id: int
    customer_id: int
    channel: Channel
    kind: MessageKind
    body: str
    phone: str
    telegram_chat_id: int | None = None
    campaign_keyword: str | None = None  # lets Telegram add a Draw button to a reminder
    language: Language | None = None  # of the body; labels Telegram's buttons to match


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waits for its next attempt
    SENDING = "sending"  # claimed by a dispatcher until its lease ends
    SENT = "sent"
    DEAD = "dead"  # gave up after the last attempt; `luckydraw outbox retry-dead` revives it
    SKIPPED = "skipped"  # deliberately not sent (opted out, blocked, quiet hours, played)


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """An outbox row a dispatcher holds until `claimed_until`, to send at `send_at`."""

    id: int
    customer_id: int
    channel: Channel
    kind: MessageKind
    body: str
    attempts: int  # including this one
    claim: str  # the claim's token: results are recorded only while it is still ours
    send_at: datetime  # the slot the channel's send rate reserved for it
    not_after: datetime | None = None
    campaign_keyword: str | None = None
    campaign_timezone: str | None = None  # quiet hours are the campaign's local time


@dataclass(frozen=True, slots=True)
class Recipient:
    """What is true of a message's recipient just before it is sent."""

    phone: str
    language: Language | None
    opted_out: bool
    telegram_chat_id: int | None
    telegram_blocked: bool
    stale: str | None = None  # why the message no longer makes sense, e.g. "played today"


@dataclass(frozen=True, slots=True)
class DueReminder:
    """A campaign whose reminder is due now: its local day, send window and bodies."""

    campaign_id: int
    local_day: date
    opens: datetime
    closes: datetime
    bodies: dict[str, str]  # "<channel>:<language>" -> text


@dataclass(frozen=True, slots=True)
class ExpiringCoupon:
    coupon_id: int
    customer_id: int
    campaign_id: int
    channel: Channel
    code: str
    prize_name: str
    expires_at: datetime
    language: Language


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to put in the outbox; `dedupe_key` makes enqueueing it twice a no-op."""

    customer_id: int
    channel: Channel
    kind: MessageKind
    body: str
    dedupe_key: str
    next_attempt_at: datetime
    not_after: datetime | None = None
    campaign_id: int | None = None
    coupon_id: int | None = None


@dataclass(frozen=True, slots=True)
class OutboxCount:
    channel: Channel
    kind: MessageKind
    status: OutboxStatus
    count: int


@dataclass(frozen=True, slots=True)
class OutboxStats:
    counts: tuple[OutboxCount, ...]
    due_now: int  # pending rows whose time has come, plus claims past their lease
    oldest_due_at: datetime | None


@dataclass(frozen=True, slots=True)
class Activity:
    """What a campaign is doing today, for its live page (campaign-local day)."""

    draws_per_minute: tuple[tuple[datetime, int], ...]  # minutes with draws, oldest first
    recent_wins: dict[str, int]  # prize name -> coupons issued in the recent window
    redemptions_today: int
    outbox_pending: int  # its messages waiting or being sent
    outbox_dead: int  # its messages given up on
    outbox_by_status: dict[str, int] = field(default_factory=dict)  # pending, sending, dead
    oldest_pending_at: datetime | None = None  # created_at of its oldest message not yet sent
    dead_messages: tuple[DeadMessage, ...] = ()  # the latest ones


@dataclass(frozen=True, slots=True)
class DeadMessage:
    """An outbox message given up on, for the campaign page (phone masked)."""

    created_at: datetime
    channel: str
    kind: str
    phone: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True, slots=True)
class CouponRow:
    """One coupon in the operator's winners table (phone masked)."""

    code: str
    prize_name: str
    phone: str
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None


@dataclass(frozen=True, slots=True)
class RedemptionAttempt:
    at: datetime
    staff_phone: str  # masked
    staff_name: str | None
    text: str
    status: str
    code: str | None


@dataclass(frozen=True, slots=True)
class RulesVersion:
    """One published version of a campaign's official rules."""

    campaign_id: int
    number: int
    published_at: datetime


@dataclass(frozen=True, slots=True)
class PublishedRules:
    """A version of the rules with the campaign as it was then, and every version so far."""

    campaign: Campaign
    version: RulesVersion
    versions: tuple[RulesVersion, ...]
