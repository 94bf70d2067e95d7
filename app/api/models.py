"""Request and response bodies of the admin API; the OpenAPI document is generated from them.

Inputs forbid unknown keys (a typo is a 400, not silently ignored). A campaign's limits are
core.validation's constants, published here in the document; its rules (including those that
span fields: probabilities summing to at most 1, daily quota within total, time zone known,
dates in order) run in the use case on the `CampaignSpec` that `CampaignIn.to_spec` builds,
so the API, the CLI and campaign files agree.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from core.model import (
    Campaign,
    CampaignSpec,
    Customer,
    CustomerHistory,
    Language,
    PrizeSpec,
    Redemption,
)
from core.model import Pacing as PacingRule
from core.validation import (
    KEYWORD_PATTERN,
    MAX_PRIZES,
    MAX_QUOTA,
    MAX_VALID_DAYS,
    MAX_WINS,
    NAME_MAX,
    OPEN_HOURS_PATTERN,
    ORGANIZER_MAX,
    PRIZE_NAME_MAX,
    REMINDER_PATTERN,
    TIMEZONE_MAX,
    read_open_hours,
)

BIGINT = 2**63 - 1
Phone = Annotated[
    str,
    Field(
        min_length=1,
        max_length=32,
        pattern=r"^\+?[0-9 ().-]+$",
        description="E.164 (+85291234567), or national digits read in DEFAULT_REGION",
        examples=["+85291234567"],
    ),
]
RequestId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description="Idempotency key: a retry with the same key gets the first answer",
    ),
]
Keyword = Annotated[str, Field(pattern=KEYWORD_PATTERN, examples=["WINTER"])]
LanguageCode = Literal["en", "zh-Hant"]
Pacing = Literal["none", "even"]
Outcome = Literal["won", "no_prize", "sold_out", "not_released", "win_capped"]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Output(BaseModel):
    """Read from the core's values by attribute name (their enums become their values)."""

    model_config = ConfigDict(from_attributes=True)

    @classmethod
    def of(cls, value: object) -> Self:
        return cls.model_validate(value)


# ------------------------------------------------------------------ campaigns


class PrizeIn(Input):
    name: str = Field(min_length=1, max_length=PRIZE_NAME_MAX, examples=["$5 Cash Coupon"])
    probability: float = Field(ge=0, le=1, examples=[0.05])
    total_quota: int = Field(ge=1, le=MAX_QUOTA, examples=[1000])
    daily_quota: int = Field(ge=1, le=MAX_QUOTA, examples=[50])
    valid_days: int = Field(ge=1, le=MAX_VALID_DAYS, examples=[30])
    pacing: Pacing = Field(
        default="none",
        description="even: the daily quota is released over the open hours ('winning moments')",
    )


class CampaignIn(Input):
    """A campaign as in PRODUCT.md (the same format as `luckydraw campaign create FILE`)."""

    name: str = Field(min_length=1, max_length=NAME_MAX, examples=["Winter Lucky Draw"])
    keyword: Keyword
    timezone: str = Field(min_length=1, max_length=TIMEZONE_MAX, examples=["Asia/Hong_Kong"])
    starts_at: AwareDatetime = Field(examples=["2026-12-01T00:00:00+08:00"])
    ends_at: AwareDatetime = Field(examples=["2026-12-31T23:59:59+08:00"])
    reminder_time: str | None = Field(default=None, pattern=REMINDER_PATTERN, examples=["10:00"])
    language: LanguageCode = "en"
    organizer: str | None = Field(default=None, min_length=1, max_length=ORGANIZER_MAX)
    organizer_contact: str | None = Field(default=None, min_length=1, max_length=ORGANIZER_MAX)
    open_hours: str | None = Field(
        default=None,
        pattern=OPEN_HOURS_PATTERN,
        description="Local HH:MM-HH:MM within one day; pacing releases prizes over them",
        examples=["09:00-21:00"],
    )
    max_wins_per_customer: int | None = Field(default=None, ge=1, le=MAX_WINS)
    prizes: list[PrizeIn] = Field(min_length=1, max_length=MAX_PRIZES)

    def to_spec(self) -> CampaignSpec:
        """The typed spec the use case validates; fields of plain types pass as they are."""
        return CampaignSpec(
            **self.model_dump(exclude={"prizes", "reminder_time", "language", "open_hours"}),
            prizes=tuple(
                PrizeSpec(**p.model_dump(exclude={"pacing"}), pacing=PacingRule(p.pacing))
                for p in self.prizes
            ),
            reminder_time=time.fromisoformat(self.reminder_time) if self.reminder_time else None,
            language=Language(self.language),
            open_hours=read_open_hours(self.open_hours),
        )


class PrizePatchIn(Input):
    """With `id`: changes that prize (fields left out stay). Without: a new prize (all fields)."""

    id: int | None = Field(default=None, ge=1, le=BIGINT)
    name: str | None = Field(default=None, min_length=1, max_length=PRIZE_NAME_MAX)
    probability: float | None = Field(default=None, ge=0, le=1)
    total_quota: int | None = Field(default=None, ge=1, le=MAX_QUOTA)
    daily_quota: int | None = Field(default=None, ge=1, le=MAX_QUOTA)
    valid_days: int | None = Field(default=None, ge=1, le=MAX_VALID_DAYS)
    pacing: Pacing | None = None


class CampaignPatchIn(Input):
    """The fields to change (PRODUCT.md, "Editing a campaign"); `prizes` is the new list."""

    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX)
    keyword: Keyword | None = None
    timezone: str | None = Field(default=None, min_length=1, max_length=TIMEZONE_MAX)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    reminder_time: str | None = Field(
        default=None,
        pattern=REMINDER_PATTERN,
        description="null: no reminders",
    )
    language: LanguageCode | None = None
    organizer: str | None = Field(default=None, min_length=1, max_length=ORGANIZER_MAX)
    organizer_contact: str | None = Field(default=None, min_length=1, max_length=ORGANIZER_MAX)
    open_hours: str | None = Field(
        default=None,
        pattern=OPEN_HOURS_PATTERN,
        description="null: the whole day",
    )
    max_wins_per_customer: int | None = Field(default=None, ge=1, le=MAX_WINS)
    prizes: list[PrizePatchIn] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_PRIZES,
        description="The prizes after the edit, in order; a prize left out is removed "
        "(refused when it issued coupons)",
    )


class PrizeOut(Output):
    id: int
    name: str
    probability: float
    total_quota: int
    daily_quota: int
    valid_days: int
    pacing: Pacing


class CampaignOut(BaseModel):
    id: int
    name: str
    keyword: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    reminder_time: str | None
    language: LanguageCode
    status: Literal["active", "paused", "ended"]
    organizer: str | None
    organizer_contact: str | None
    open_hours: str
    max_wins_per_customer: int | None
    prizes: list[PrizeOut]

    @classmethod
    def of(cls, c: Campaign) -> CampaignOut:
        return cls(
            id=c.id,
            name=c.name,
            keyword=c.keyword,
            timezone=c.timezone,
            starts_at=c.starts_at,
            ends_at=c.ends_at,
            reminder_time=c.reminder_time.strftime("%H:%M") if c.reminder_time else None,
            language=c.language.value,
            status=c.status.value,
            organizer=c.organizer,
            organizer_contact=c.organizer_contact,
            open_hours=str(c.open_hours),
            max_wins_per_customer=c.max_wins_per_customer,
            prizes=[PrizeOut.of(p) for p in c.prizes],
        )


class FieldChangeOut(Output):
    field: str
    before: Any
    after: Any


class AuditEntryOut(Output):
    id: int
    at: datetime
    actor: str
    action: Literal["create", "edit", "pause", "resume", "end", "reveal_phone"]
    subject: str | None
    changes: list[FieldChangeOut]


class PrizeStatsOut(Output):
    name: str
    total_quota: int
    daily_quota: int
    issued: int
    issued_today: int
    released_today: int = Field(
        description="Units of today's quota winnable so far: all of them unless the prize is paced"
    )
    redeemed: int


class StatsOut(Output):
    """`draws` counts every accepted draw (won or not); `wins` the coupons issued."""

    campaign_id: int
    draws: int
    draws_today: int
    wins: int
    prizes: list[PrizeStatsOut]


class CampaignPath(BaseModel):
    campaign_id: int = Field(ge=1, le=BIGINT)


class WinnersQuery(Input):
    full: bool = Field(default=False, description="Unmasked phone numbers (personal data)")


# ------------------------------------------------------------------ customers


class CustomerIn(Input):
    phone: Phone


class CouponOut(Output):
    code: str
    prize_name: str
    campaign_name: str
    issued_at: datetime
    expires_at: datetime
    redeemed_at: datetime | None


class DrawSummaryOut(Output):
    campaign_id: int
    campaign_name: str
    local_day: date
    channel: str
    outcome: Outcome
    drawn_at: datetime
    prize_name: str | None
    code: str | None


class CustomerOut(BaseModel):
    phone: str
    language: LanguageCode | None
    opted_out: bool
    telegram_linked: bool

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(
            phone=c.phone,
            language=c.language.value if c.language else None,
            opted_out=c.opted_out,
            telegram_linked=c.telegram_user_id is not None,
        )


class CustomerDetailOut(CustomerOut):
    """The customer with their latest draws and coupons (any state), newest first."""

    draws: list[DrawSummaryOut]
    coupons: list[CouponOut]

    @classmethod
    def of_history(cls, h: CustomerHistory) -> CustomerDetailOut:
        return cls(
            **CustomerOut.of(h.customer).model_dump(),
            draws=[DrawSummaryOut.of(d) for d in h.draws],
            coupons=[CouponOut.of(c) for c in h.coupons],
        )


class PhonePath(BaseModel):
    phone: Phone


# ---------------------------------------------------------------------- draws


class DrawIn(Input):
    """The original `/draw`: in `campaign_id`, or the open campaign with `keyword`, or the
    only open campaign when neither is given (as a bare SMS `DRAW`)."""

    phone: Phone
    campaign_id: int | None = Field(default=None, ge=1, le=BIGINT)
    keyword: Keyword | None = None
    request_id: RequestId | None = None


class DrawOut(Output):
    campaign_id: int
    campaign_name: str
    keyword: str
    outcome: Outcome
    won: bool
    prize_name: str | None
    code: str | None
    expires_at: datetime | None
    next_draw_at: datetime
    replayed: bool = Field(description="true: this request id drew before; its first answer")
    delivery: dict[str, str] | None = Field(
        default=None,
        description="For a win: the channel the code is sent on and `queued`, or why it is "
        "not sent (`not sent: this number has never texted the campaign number`, opted out, "
        "country not allowed, bot blocked); null when nothing was won",
        examples=[{"sms": "queued"}],
    )


# ---------------------------------------------------------------- redemptions


class RedemptionIn(Input):
    code: str = Field(min_length=1, max_length=40, examples=["7KQ2M-XW9PD"])
    staff_phone: Phone
    request_id: RequestId | None = None


class RedemptionOut(BaseModel):
    status: Literal["redeemed"]
    code: str
    prize_name: str
    customer: str = Field(description="The coupon owner's phone, masked")
    redeemed_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, r: Redemption) -> RedemptionOut:
        if not (r.code and r.prize_name and r.masked_phone and r.redeemed_at and r.expires_at):
            raise ValueError(f"a {r.status.value} redemption is not a completed one")
        return cls(
            status="redeemed",
            code=r.code,
            prize_name=r.prize_name,
            customer=r.masked_phone,
            redeemed_at=r.redeemed_at,
            expires_at=r.expires_at,
        )


# ---------------------------------------------------------------------- staff


class StaffIn(Input):
    phone: Phone
    name: str | None = Field(default=None, min_length=1, max_length=80)


class StaffOut(Output):
    phone: str
    name: str | None
