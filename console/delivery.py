"""Why a message was not sent, in words: the outbox's status and the reason it recorded.

The reasons are the texts core.services.outbox and the senders store in `last_error`; each
maps to a sentence (a key of console.i18n) the customer lookup shows in either language.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.delivery import NOT_SENT

# The first fragment found in `last_error` names the reason (more specific ones first).
REASONS = (
    ("never texted us", NOT_SENT["never_texted"]),
    ("not allowed", NOT_SENT["country"]),
    ("opted out", NOT_SENT["opted_out"]),
    ("unsubscribed at Twilio", "not sent: this number unsubscribed at Twilio"),
    ("Twilio refused", "not sent: Twilio refused it"),
    ("blocked the bot", NOT_SENT["blocked"]),
    ("no Telegram chat", "not sent: this customer has no Telegram chat with the bot"),
    ("quiet hours began", "not sent: quiet hours began before it could go out"),
    ("quiet hours", "waiting for quiet hours to end"),
    ("played today", "not sent: the customer had already played that day"),
    ("campaign closed", "not sent: the campaign was closed"),
    ("coupon redeemed", "not sent: the coupon was already redeemed"),
    ("coupon expired", "not sent: the coupon had expired"),
)
STATUS = {
    "pending": "waiting to be sent",
    "sending": "being sent",
    "sent": "sent",
    "dead": "gave up after repeated failures",
    "skipped": "not sent",
}


@dataclass(frozen=True, slots=True)
class Delivery:
    status: str  # words, a key of console.i18n
    reason: str | None  # words, a key of console.i18n
    detail: str | None  # the recorded error when no sentence explains it


def explain(status: str, last_error: str | None) -> Delivery:
    """A message's status in words and, unless it was sent, why."""
    words = STATUS.get(status, status)
    if status == "sent" or not last_error:
        return Delivery(words, None, None)
    for fragment, sentence in REASONS:
        if fragment in last_error:
            return Delivery(words, sentence, None)
    return Delivery(words, None, last_error)
