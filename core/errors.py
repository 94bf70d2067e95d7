"""Every exception the core defines, as one tree with two branches.

    Exception
    ├── LuckyDrawError               a refusal the user hears (API 4xx, SMS or Telegram reply)
    ├── InvalidInput                 bad data from a caller; names the field
    │   ├── InvalidPhone
    │   ├── InvalidCampaign
    │   │   ├── InvalidTransition   e.g. resuming an ended campaign
    │   │   └── EditRefused         an edit the campaign's state forbids (quota below issued)
    │   └── KeywordTaken
    ├── NotFound
    │   ├── CampaignNotFound
    │   ├── NoActiveCampaign
    │   ├── CustomerNotFound
    │   ├── StaffNotFound
    │   └── ProofNotPublished        a day's seed and log before the day has ended
    ├── KeywordNeeded                several campaigns are open: which one?
    ├── CampaignClosed               paused, ended, or not started
    ├── AlreadyDrewToday
    ├── RateLimited
    ├── RequestConflict              a request id reused for a different request
    ├── NotStaff
    └── RedemptionRefused            malformed, unknown, already redeemed, expired, locked out
    └── PortError                    what an adapter tells a use case; never shown to a user
        ├── CodeCollision            the store has this coupon code already: draw a new one
        ├── SendFailed               temporary: the outbox retries with backoff
        └── RecipientUnreachable     permanent: opted out at the provider, blocked the bot
            └── RecipientNotAllowed  refused before the provider (the SMS anti-pumping guard)

A draw that wins nothing is a normal result, not an error; a redeemed coupon is the one
result of a redemption, every other outcome a RedemptionRefused. Each channel turns
LuckyDrawErrors into replies in one place (app/api/errors.py, sms/conversation.py,
bot/routers/errors.py); the outbox turns PortErrors into retries and skips.
"""

from __future__ import annotations

from datetime import datetime

from core.model import DrawResult, Language, Redemption


class LuckyDrawError(Exception):
    """Base of every refusal the service explains to its user."""

    code = "error"


class InvalidInput(LuckyDrawError):
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidPhone(InvalidInput):
    code = "invalid_phone"


class InvalidCampaign(InvalidInput):
    code = "invalid_campaign"


class InvalidTransition(InvalidCampaign):
    """The campaign's status does not allow this action (the request is fine, the state not)."""

    code = "invalid_transition"


class EditRefused(InvalidCampaign):
    """The edit is well-formed but what has happened forbids it: the campaign started (its
    keyword, time zone and start are fixed), or coupons were issued beyond the new quota."""

    code = "edit_refused"


class KeywordTaken(InvalidInput):
    code = "keyword_taken"


class NotFound(LuckyDrawError):
    code = "not_found"


class CampaignNotFound(NotFound):
    pass


class ProofNotPublished(NotFound):
    """A day's proof before its reveal (the day has not ended), or for a day without draws."""

    code = "proof_not_published"

    def __init__(self, message: str, reveal_at: datetime | None = None) -> None:
        super().__init__(message)
        self.reveal_at = reveal_at


class NoActiveCampaign(NotFound):
    code = "no_active_campaign"


class CustomerNotFound(NotFound):
    pass


class StaffNotFound(NotFound):
    pass


class KeywordNeeded(LuckyDrawError):
    code = "keyword_needed"

    def __init__(self, keywords: list[str]) -> None:
        super().__init__(f"several campaigns are open: {', '.join(keywords)}")
        self.keywords = keywords


class CampaignClosed(LuckyDrawError):
    code = "campaign_closed"

    def __init__(self, name: str, status: str) -> None:
        super().__init__(f"campaign {name!r} is {status}")
        self.name = name
        self.status = status


class AlreadyDrewToday(LuckyDrawError):
    code = "already_drew"

    def __init__(
        self,
        campaign_name: str,
        next_draw_at: datetime,
        timezone: str = "UTC",
        language: Language | None = None,
        today: DrawResult | None = None,
    ) -> None:
        super().__init__(f"already drew today in {campaign_name!r}; next draw from {next_draw_at}")
        self.campaign_name = campaign_name
        self.next_draw_at = next_draw_at
        self.timezone = timezone  # the campaign's, to tell the customer in local time
        # The language of the day's draw, so a repeat is answered without a database lookup.
        self.language = language
        # The day's recorded draw: a repeat restates it, so no win is ever left unseen (an
        # answer that never arrived, an apology after a late commit).
        self.today = today


class RateLimited(LuckyDrawError):
    code = "rate_limited"

    def __init__(
        self, retry_after_seconds: int, first: bool = True, language: Language | None = None
    ) -> None:
        super().__init__(f"too many requests; retry in {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds
        self.first = first  # the first refusal in this window: later ones may go unanswered
        self.language = language  # the customer's, when known without a lookup


class RequestConflict(LuckyDrawError):
    """The request id was already used by another customer, campaign, staff member or code.

    A retry replays its first answer only when it asks the same thing; anything else under a
    reused id is refused rather than answered with someone else's result.
    """

    code = "request_conflict"


class NotStaff(LuckyDrawError):
    code = "not_staff"


class RedemptionRefused(LuckyDrawError):
    """The attempt, recorded with its refusal status (what the till is told comes from it)."""

    code = "redemption_refused"

    def __init__(self, attempt: Redemption) -> None:
        super().__init__(attempt.status.value)
        self.attempt = attempt

    @property
    def reason(self) -> str:
        return self.attempt.status.value

    @property
    def redeemed_at(self) -> datetime | None:
        return self.attempt.redeemed_at


class PortError(Exception):
    """Base of what db/, sms/ and bot/ report to the core through its ports."""


class CodeCollision(PortError):
    """The store refused a coupon code that already exists; draw again with a new one."""


class SendFailed(PortError):
    """Temporary: retry later, after `retry_after` seconds when the provider says so."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RecipientUnreachable(PortError):
    """Permanent: the recipient opted out at the provider (Twilio 21610) or blocked the bot.

    The customer is marked and the message is never retried.
    """


class RecipientNotAllowed(RecipientUnreachable):
    """Refused before reaching the provider: opted out, never texted us, or not an allowed
    country (the SMS anti-pumping guard). Nothing to mark; never retried."""
