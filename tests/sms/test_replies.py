"""Every reply template: both languages, and one SMS segment in English."""

from __future__ import annotations

import string
from datetime import UTC, datetime

import pytest

from core.model import Language
from core.replies import TEMPLATES, last_valid_day, local_date, local_datetime

# GSM 03.38: the basic set costs one unit, the extension set two (escape + character).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€")

# Realistic values: the longest a busy campaign would show.
VALUES: dict[str, str] = {
    "campaign": "Winter Lucky Draw",
    "prize": "$5 Cash Coupon",
    "code": "7K3QD-9XW2M",
    "expires": "31 Dec 2026",
    "next_draw": "11 Dec 00:00",
    "redeemed_at": "10 Dec 12:34",
    "phone": "+85*****567",
    "keyword": "WINTER",
    "keywords": "SPRING, SUMMER, WINTER",
    "example": "SPRING",
    "coupons": "7K3QD-9XW2M $5 Cash Coupon, until 31 Dec 2026",
    "reference": "7K3QD9XW",
    "url": "https://luckydraw.example.com/r/WINTER/proof",
}


def gsm7_units(text: str) -> int | None:
    """Septets needed, or None when the text forces UCS-2."""
    units = 0
    for char in text:
        if char in GSM7_BASIC:
            units += 1
        elif char in GSM7_EXTENSION:
            units += 2
        else:
            return None
    return units


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_reply_exists_in_english_and_traditional_chinese(key: str) -> None:
    assert set(TEMPLATES[key]) == {Language.EN, Language.ZH_HANT}
    assert fields(TEMPLATES[key][Language.EN]) == fields(TEMPLATES[key][Language.ZH_HANT])


@pytest.mark.parametrize("key", sorted(TEMPLATES))
def test_every_english_reply_fits_one_gsm7_segment(key: str) -> None:
    template = TEMPLATES[key][Language.EN]
    text = template.format(**{name: VALUES.get(name, "x" * 12) for name in fields(template)})
    units = gsm7_units(text)
    assert units is not None, f"{key} is not GSM-7: {text!r}"
    assert units <= 160, f"{key} needs {units} characters: {text!r}"


def test_dates_are_shown_in_the_campaigns_time_zone_in_each_language() -> None:
    moment = datetime(2026, 12, 10, 16, 30, tzinfo=UTC)  # already the 11th in Hong Kong
    assert local_date(moment, "Asia/Hong_Kong", Language.EN) == "11 Dec 2026"
    assert local_date(moment, "Asia/Hong_Kong", Language.ZH_HANT) == "2026年12月11日"
    assert local_datetime(moment, "Asia/Hong_Kong", Language.EN) == "11 Dec 00:30"
    assert local_datetime(moment, "America/New_York", Language.ZH_HANT) == "12月10日 11:30"


def test_a_coupon_expiring_at_local_midnight_is_valid_until_the_day_before() -> None:
    expires = datetime(2026, 12, 17, 16, 0, tzinfo=UTC)  # 18 Dec 00:00 in Hong Kong
    assert last_valid_day(expires, "Asia/Hong_Kong", Language.EN) == "17 Dec 2026"
