"""Campaign rules, written once: every limit and check a campaign passes, naming the field.

Two doors lead to a `CampaignSpec`: `campaign_from_mapping` reads a campaign file (YAML or
JSON) and only turns each value into its type; the admin API's models (app/api/models.py)
publish the limits below in the OpenAPI document and build the spec directly. Either way
`CampaignService.create` runs `validated(spec)`, so both are held to the same rules.

Edits (core.editing) merge a patch into the campaign's mapping and come through the same two
functions, so an edited campaign obeys the rules of a new one.

Adding a campaign field (a prize field likewise, with `PrizeSpec` and `_read_prize`):
1. the field on `core.model.CampaignSpec` and `Campaign` (with a default when optional);
2. its limits as constants here and its check in `validated`, naming the field;
3. one line in `campaign_from_mapping` with the reader for its type;
4. the field on `CampaignIn`, `CampaignPatchIn` and `CampaignOut` (app/api/models.py), using
   the constants; `CampaignIn.to_spec` passes a field of a plain type through unchanged;
5. its column in a migration and in db/campaigns.py.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.errors import InvalidCampaign
from core.model import CampaignSpec, Language, OpenHours, Pacing, PrizeSpec

NAME_MAX = 120
ORGANIZER_MAX = 120  # organizer and organizer_contact
PRIZE_NAME_MAX = 80
TIMEZONE_MAX = 64
KEYWORD_PATTERN = r"^[A-Za-z0-9]{2,16}$"  # case-insensitive: stored in capitals
REMINDER_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"  # local HH:MM
OPEN_HOURS_PATTERN = r"^([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})$"  # local, within one day
# Keywords that are commands can never be campaign keywords.
RESERVED_KEYWORDS = frozenset(
    {"DRAW", "COUPONS", "HELP", "INFO", "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END",
     "QUIT", "START", "UNSTOP", "YES", "REDEEM", "LANG", "RULES"}
)  # fmt: skip
MAX_PRIZES = 50
MAX_QUOTA = 100_000_000
MAX_VALID_DAYS = 3650
MAX_WINS = 10_000
MIN_YEAR, MAX_YEAR = 2000, 2999

CAMPAIGN_FIELDS = frozenset(f.name for f in dataclasses.fields(CampaignSpec))
PRIZE_FIELDS = frozenset(f.name for f in dataclasses.fields(PrizeSpec))


def validated(spec: CampaignSpec) -> CampaignSpec:
    """`spec` normalised (names trimmed, keyword in capitals), or InvalidCampaign."""
    name = _text(spec.name, "name", NAME_MAX)
    keyword = spec.keyword.strip().upper()
    if not re.match(KEYWORD_PATTERN, keyword):
        raise InvalidCampaign("keyword must be 2-16 letters or digits", field="keyword")
    if keyword in RESERVED_KEYWORDS:
        raise InvalidCampaign(f"keyword {keyword} is a command word", field="keyword")
    timezone = _text(spec.timezone, "timezone", TIMEZONE_MAX)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidCampaign(f"unknown time zone {timezone!r}", field="timezone") from None
    for field, instant in (("starts_at", spec.starts_at), ("ends_at", spec.ends_at)):
        _check_instant(instant, field)
    if spec.starts_at >= spec.ends_at:
        raise InvalidCampaign("starts_at must be before ends_at", field="ends_at")
    prizes = _prizes(spec.prizes)
    hours = spec.open_hours
    if not 0 <= hours.start < hours.end <= 24 * 60:
        raise _open_hours_refused()
    if spec.max_wins_per_customer is not None:
        _check_count(spec.max_wins_per_customer, "max_wins_per_customer", MAX_WINS)
    return dataclasses.replace(
        spec,
        name=name,
        keyword=keyword,
        timezone=timezone,
        prizes=prizes,
        organizer=_optional_text(spec.organizer, "organizer", ORGANIZER_MAX),
        organizer_contact=_optional_text(
            spec.organizer_contact, "organizer_contact", ORGANIZER_MAX
        ),
    )


def _text(value: str, field: str, max_len: int) -> str:
    if not value.strip():
        raise InvalidCampaign(f"{field} is required text", field=field)
    if len(value) > max_len:
        raise InvalidCampaign(f"{field} is over {max_len} characters", field=field)
    return value.strip()


def _optional_text(value: str | None, field: str, max_len: int) -> str | None:
    return None if value is None else _text(value, field, max_len)


def _check_instant(value: datetime, field: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidCampaign(f"{field} needs a UTC offset, e.g. +08:00", field=field)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        # Also keeps conversions to UTC away from datetime's year 1 and 9999 limits.
        raise InvalidCampaign(f"{field} must be in {MIN_YEAR}-{MAX_YEAR}", field=field)


def _prizes(prizes: tuple[PrizeSpec, ...]) -> tuple[PrizeSpec, ...]:
    if not prizes:
        raise InvalidCampaign("prizes must be a non-empty list", field="prizes")
    if len(prizes) > MAX_PRIZES:
        raise InvalidCampaign(f"at most {MAX_PRIZES} prizes", field="prizes")
    checked = tuple(_prize(p, f"prizes.{i}.") for i, p in enumerate(prizes))
    if math.fsum(p.probability for p in checked) > 1.0 + 1e-9:
        raise InvalidCampaign("prize probabilities sum to more than 1", field="prizes")
    names = [p.name.casefold() for p in checked]
    if len(set(names)) != len(names):
        raise InvalidCampaign("prize names must be unique", field="prizes")
    return checked


def _prize(prize: PrizeSpec, prefix: str) -> PrizeSpec:
    _check_probability(prize.probability, prefix + "probability")
    _check_count(prize.total_quota, prefix + "total_quota", MAX_QUOTA)
    _check_count(prize.daily_quota, prefix + "daily_quota", MAX_QUOTA)
    if prize.daily_quota > prize.total_quota:
        raise InvalidCampaign("daily_quota exceeds total_quota", field=prefix + "daily_quota")
    _check_count(prize.valid_days, prefix + "valid_days", MAX_VALID_DAYS)
    return dataclasses.replace(prize, name=_text(prize.name, prefix + "name", PRIZE_NAME_MAX))


def _check_probability(value: float, field: str) -> None:
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InvalidCampaign("probability must be in [0, 1]", field=field)


def _check_count(value: int, field: str, maximum: int) -> None:
    if not 1 <= value <= maximum:
        raise _count_refused(field, maximum)


def _count_refused(field: str, maximum: int) -> InvalidCampaign:
    name = field.rsplit(".", 1)[-1]
    return InvalidCampaign(f"{name} must be a whole number from 1 to {maximum}", field=field)


# ------------------------------------------------------- reading a campaign file


def campaign_from_mapping(data: Any) -> CampaignSpec:
    """A campaign from parsed YAML or JSON (PRODUCT.md's format), each value of its type.

    Only types are checked here; `validated` (run by the use case) holds the rules.
    """
    if not isinstance(data, Mapping):
        raise InvalidCampaign("a campaign must be a mapping of fields", field=None)
    _refuse_unknown(data, CAMPAIGN_FIELDS, "")
    return CampaignSpec(
        name=_read_text(data, "name"),
        keyword=_read_text(data, "keyword"),
        timezone=_read_text(data, "timezone"),
        starts_at=_read_instant(data, "starts_at"),
        ends_at=_read_instant(data, "ends_at"),
        reminder_time=_read_reminder_time(data.get("reminder_time")),
        language=_read_language(data.get("language", "en")),
        prizes=_read_prizes(data.get("prizes")),
        organizer=_read_optional_text(data, "organizer"),
        organizer_contact=_read_optional_text(data, "organizer_contact"),
        open_hours=read_open_hours(data.get("open_hours")),
        max_wins_per_customer=_read_optional_count(data, "max_wins_per_customer", MAX_WINS),
    )


def _refuse_unknown(data: Mapping[Any, Any], known: frozenset[str], prefix: str) -> None:
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        raise InvalidCampaign(f"unknown field {unknown[0]!r}", field=prefix + unknown[0])


def _read_text(data: Mapping[str, Any], field: str, prefix: str = "") -> str:
    value = data.get(field)
    if not isinstance(value, str):
        raise InvalidCampaign(f"{prefix}{field} is required text", field=prefix + field)
    return value


def _read_optional_text(data: Mapping[str, Any], field: str) -> str | None:
    return None if data.get(field) is None else _read_text(data, field)


def _read_instant(data: Mapping[str, Any], field: str) -> datetime:
    value = data.get(field)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidCampaign(f"{field} is not an ISO 8601 time", field=field) from None
    if not isinstance(value, datetime):
        raise InvalidCampaign(f"{field} is required (ISO 8601 with offset)", field=field)
    return value


def _read_language(value: Any) -> Language:
    for language in Language:
        if isinstance(value, str) and value.lower() == language.value.lower():
            return language
    raise InvalidCampaign("language must be en or zh-Hant", field="language")


def _read_reminder_time(value: Any) -> time | None:
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


def read_open_hours(value: Any) -> OpenHours:
    """`HH:MM-HH:MM`, local, within one day (24:00 ends at midnight); None: the whole day."""
    if value is None:
        return OpenHours()
    match = re.match(OPEN_HOURS_PATTERN, value) if isinstance(value, str) else None
    if match:
        h1, m1, h2, m2 = map(int, match.groups())
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if h1 < 24 and m1 < 60 and m2 < 60 and start < end <= 24 * 60:
            return OpenHours(start, end)
    raise _open_hours_refused()


def _open_hours_refused() -> InvalidCampaign:
    return InvalidCampaign(
        "open_hours must be local HH:MM-HH:MM within one day, e.g. 09:00-21:00",
        field="open_hours",
    )


def _read_prizes(value: Any) -> tuple[PrizeSpec, ...]:
    if not isinstance(value, list):
        raise InvalidCampaign("prizes must be a non-empty list", field="prizes")
    return tuple(_read_prize(item, f"prizes.{i}.") for i, item in enumerate(value))


def _read_prize(item: Any, prefix: str) -> PrizeSpec:
    if not isinstance(item, Mapping):
        raise InvalidCampaign("a prize must be a mapping", field=prefix.rstrip("."))
    _refuse_unknown(item, PRIZE_FIELDS, prefix)
    probability = item.get("probability")
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        raise InvalidCampaign("probability must be in [0, 1]", field=prefix + "probability")
    _check_probability(probability, prefix + "probability")  # before the fields it outranks
    return PrizeSpec(
        name=_read_text(item, "name", prefix),
        probability=float(probability),
        total_quota=_read_count(item, "total_quota", prefix, MAX_QUOTA),
        daily_quota=_read_count(item, "daily_quota", prefix, MAX_QUOTA),
        valid_days=_read_count(item, "valid_days", prefix, MAX_VALID_DAYS),
        pacing=_read_pacing(item.get("pacing", "none"), prefix),
    )


def _read_pacing(value: Any, prefix: str) -> Pacing:
    if value in list(Pacing):
        return Pacing(value)
    raise InvalidCampaign("pacing must be none or even", field=prefix + "pacing")


def _read_optional_count(data: Mapping[str, Any], field: str, maximum: int) -> int | None:
    return None if data.get(field) is None else _read_count(data, field, "", maximum)


def _read_count(item: Mapping[str, Any], field: str, prefix: str, maximum: int) -> int:
    value = item.get(field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _count_refused(prefix + field, maximum)
    return value
