"""Phone numbers: a customer is their number in E.164."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from core.errors import InvalidPhone


# A customer texts again and again (DRAW, the reply, DRAW tomorrow), and parsing was 8 % of
# answering a repeated DRAW: the last 16,384 numbers parsed are kept (about 4.5 MB).
@lru_cache(maxsize=16384)
def parse_phone(raw: str, default_region: str) -> str:
    """Normalise `raw` to E.164; numbers without `+` are read in `default_region`."""
    text = raw.strip()
    if not text or len(text) > 32:
        raise InvalidPhone("not a phone number", field="phone")
    try:
        number = phonenumbers.parse(text, default_region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {exc}", field="phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_international(raw: str) -> str:
    """Telegram sends international digits, often without `+`: never guess a region."""
    digits = raw.strip()
    if not digits.startswith("+"):
        digits = "+" + digits
    return parse_phone(digits, "ZZ")


def region_of(e164: str) -> str | None:
    """The ISO country of an E.164 number (for the SMS anti-pumping guard)."""
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))


def mask(e164: str) -> str:
    """What staff and logs may see: the first three characters ("+" and two digits, so all of
    +1 or +44 but only part of +852) and the last three digits."""
    if len(e164) < 7:
        return "***"
    return e164[:3] + "*" * (len(e164) - 6) + e164[-3:]
