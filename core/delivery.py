"""Why a message is not sent, in the words the admin API answers and the console shows."""

from __future__ import annotations

# Reason (a metric label) -> the sentence.
NOT_SENT = {
    "opted_out": "not sent: this number has opted out (STOP)",
    "country": "not sent: SMS to this number's country is not allowed (SMS_ALLOWED_COUNTRIES)",
    "never_texted": "not sent: this number has never texted the campaign number",
    "blocked": "not sent: this customer has blocked the Telegram bot",
}
