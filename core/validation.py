"""Campaign validation: every rule names the field it refuses."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidCampaign
from core.model import CampaignSpec, Language, OpenHours, Pacing, PrizeSpec

KEYWORD = re.compile(r"^[A-Z0-9]{2,16}$")
# Keywords that are commands can never be campaign keywords.
RESERVED_KEYWORDS = frozenset(
    {"DRAW", "COUPONS", "HELP", "INFO", "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",
     "QUIT", "START", "UNSTOP", "YES", "REDEEM", "LANG", "RULES"}
)  # fmt: skip
CAMPAIGN_FIELDS = frozenset(
    {"name", "keyword", "timezone", "starts_at", "ends_at", "reminder_time", "language", "prizes",
     "organizer", "organizer_contact", "open_hours", "max_wins_per_customer"}
)  # fmt: skip
PRIZE_FIELDS = frozenset(
    {"name", "probability", "total_quota", "daily_quota", "valid_days", "pacing"}
)
OPEN_HOURS = re.compile(r"^([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})$")
MAX_WINS = 10_000
MAX_PRIZES = 50
MAX_QUOTA = 100_000_000
MIN_YEAR, MAX_YEAR = 2000, 2999


def campaign_from_mapping(data: Any) -> CampaignSpec:
    """A validated campaign from parsed YAML or JSON (the format in PRODUCT.md)."""
    if not isinstance(data, Mapping):
        raise InvalidCampaign("a campaign must be a mapping of fields", field=None)
    unknown = sorted(set(map(str, data)) - CAMPAIGN_FIELDS)
    if unknown:
        raise InvalidCampaign(f"unknown field {unknown[0]!r}", field=unknown[0])
    name = _text(data, "name", 120)
    keyword = _text(data, "keyword", 16).upper()
    if not KEYWORD.match(keyword):
        raise InvalidCampaign("keyword must be 2-16 letters or digits", field="keyword")
    if keyword in RESERVED_KEYWORDS:
        raise InvalidCampaign(f"keyword {keyword} is a command word", field="keyword")
    timezone = _text(data, "timezone", 64)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidCampaign(f"unknown time zone {timezone!r}", field="timezone") from None
    starts_at = _instant(data, "starts_at")
    ends_at = _instant(data, "ends_at")
    if starts_at >= ends_at:
        raise InvalidCampaign("starts_at must be before ends_at", field="ends_at")
    language = _language(data.get("language", "en"))
    reminder = _reminder_time(data.get("reminder_time"))
    prizes = _prizes(data.get("prizes"))
    organizer = _optional_text(data, "organizer", 120)
    contact = _optional_text(data, "organizer_contact", 120)
    open_hours = _open_hours(data.get("open_hours"))
    max_wins = data.get("max_wins_per_customer")
    if max_wins is not None:
        max_wins = _count(data, "max_wins_per_customer", "", maximum=MAX_WINS)
    return CampaignSpec(
        name=name,
        keyword=keyword,
        timezone=timezone,
        starts_at=starts_at,
        ends_at=ends_at,
        prizes=prizes,
        reminder_time=reminder,
        language=language,
        organizer=organizer,
        organizer_contact=contact,
        open_hours=open_hours,
        max_wins_per_customer=max_wins,
    )


def _optional_text(data: Mapping[str, Any], field: str, max_len: int) -> str | None:
    return None if data.get(field) is None else _text(data, field, max_len)


def _open_hours(value: Any) -> OpenHours:
    """`HH:MM-HH:MM`, local, within one day (24:00 ends at midnight); None: the whole day."""
    if value is None:
        return OpenHours()
    match = OPEN_HOURS.match(value) if isinstance(value, str) else None
    if match:
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 < 24 and m1 < 60 and m2 < 60 and start < end <= 24 * 60:
            return OpenHours(start, end)
    raise InvalidCampaign(
        "open_hours must be local HH:MM-HH:MM within one day, e.g. 09:00-21:00",
        field="open_hours",
    )


def _text(data: Mapping[str, Any], field: str, max_len: int, prefix: str = "") -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise InvalidCampaign(f"{prefix}{field} is required text", field=prefix + field)
    if len(value) > max_len:
        raise InvalidCampaign(f"{prefix}{field} is over {max_len} characters", field=prefix + field)
    return value.strip()


def _instant(data: Mapping[str, Any], field: str) -> datetime:
    value = data.get(field)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidCampaign(f"{field} is not an ISO 8601 time", field=field) from None
    if not isinstance(value, datetime):
        raise InvalidCampaign(f"{field} is required (ISO 8601 with offset)", field=field)
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidCampaign(f"{field} needs a UTC offset, e.g. +08:00", field=field)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        # Also keeps conversions to UTC away from datetime's year 1 and 9999 limits.
        raise InvalidCampaign(f"{field} must be in {MIN_YEAR}-{MAX_YEAR}", field=field)
    return value


def _language(value: Any) -> Language:
    for language in Language:
        if isinstance(value, str) and value.lower() == language.value.lower():
            return language
    raise InvalidCampaign("language must be en or zh-Hant", field="language")


def _reminder_time(value: Any) -> time | None:
    if value is None:
        return None
    if isinstance(value, int) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 10:00 as the sexagesimal integer 600
        return time(value // 60, value % 60)
    if isinstance(value, str):
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                return parsed.replace(second=0, microsecond=0)
    raise InvalidCampaign("reminder_time must be local HH:MM", field="reminder_time")


def _prizes(value: Any) -> tuple[PrizeSpec, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidCampaign("prizes must be a non-empty list", field="prizes")
    if len(value) > MAX_PRIZES:
        raise InvalidCampaign(f"at most {MAX_PRIZES} prizes", field="prizes")
    prizes = tuple(_prize(item, f"prizes.{i}.") for i, item in enumerate(value))
    if math.fsum(p.probability for p in prizes) > 1.0 + 1e-9:
        raise InvalidCampaign("prize probabilities sum to more than 1", field="prizes")
    names = [p.name.casefold() for p in prizes]
    if len(set(names)) != len(names):
        raise InvalidCampaign("prize names must be unique", field="prizes")
    return prizes


def _prize(item: Any, prefix: str) -> PrizeSpec:
    if not isinstance(item, Mapping):
        raise InvalidCampaign("a prize must be a mapping", field=prefix.rstrip("."))
    unknown = sorted(set(map(str, item)) - PRIZE_FIELDS)
    if unknown:
        raise InvalidCampaign(f"unknown field {unknown[0]!r}", field=prefix + unknown[0])
    probability = item.get("probability")
    if (
        isinstance(probability, bool)
        or not isinstance(probability, int | float)
        or not math.isfinite(probability)
        or not 0.0 <= probability <= 1.0
    ):
        raise InvalidCampaign("probability must be in [0, 1]", field=prefix + "probability")
    total = _count(item, "total_quota", prefix)
    daily = _count(item, "daily_quota", prefix)
    if daily > total:
        raise InvalidCampaign("daily_quota exceeds total_quota", field=prefix + "daily_quota")
    return PrizeSpec(
        name=_text(item, "name", 80, prefix),
        probability=float(probability),
        total_quota=total,
        daily_quota=daily,
        valid_days=_count(item, "valid_days", prefix, maximum=3650),
        pacing=_pacing(item.get("pacing", "none"), prefix),
    )


def _pacing(value: Any, prefix: str) -> Pacing:
    if value in list(Pacing):
        return Pacing(value)
    raise InvalidCampaign("pacing must be none or even", field=prefix + "pacing")


def _count(item: Mapping[str, Any], field: str, prefix: str, maximum: int = MAX_QUOTA) -> int:
    value = item.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidCampaign(
            f"{field} must be a whole number from 1 to {maximum}", field=prefix + field
        )
    return value
