"""The pure rules: bands, days, codes, phones. Fast, no I/O, property-based where it pays."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import phonenumbers
import pytest
from hypothesis import given, seed, settings
from hypothesis import strategies as st

from core.codes import ALPHABET, make_code, normalise_code
from core.draw import coupon_expiry, local_day, next_local_midnight, pick_band
from core.errors import InvalidPhone
from core.model import Prize
from core.phone import mask, parse_international, parse_phone


def prizes(*probabilities: float) -> list[Prize]:
    return [Prize(i, f"p{i}", p, 100, 10, 1) for i, p in enumerate(probabilities)]


def test_band_selection_frequencies_match_the_probabilities() -> None:
    """Chi-square goodness of fit over 200,000 uniform values, fixed seed."""
    table = prizes(0.05, 0.20, 0.25)
    rng = random.Random(20261125)
    n = 200_000
    counts = Counter(
        (band.id if (band := pick_band(table, rng.random())) else None) for _ in range(n)
    )
    expected = {0: 0.05, 1: 0.20, 2: 0.25, None: 0.50}
    chi2 = sum((counts[k] - n * p) ** 2 / (n * p) for k, p in expected.items())
    assert chi2 < 16.27  # 3 degrees of freedom, p = 0.001


@given(st.floats(min_value=0.0, max_value=1.0, exclude_max=True))
def test_a_value_past_every_band_wins_nothing(u: float) -> None:
    table = prizes(0.1, 0.2)
    band = pick_band(table, u)
    assert (band is None) == (u >= 0.1 + 0.2)


def test_band_edges_belong_to_the_next_band() -> None:
    table = prizes(0.25, 0.25)
    assert pick_band(table, 0.0) == table[0]
    assert pick_band(table, 0.25) == table[1]
    assert pick_band(table, 0.5) is None
    with pytest.raises(ValueError, match="u must be"):
        pick_band(table, 1.0)


@seed(7)
@settings(max_examples=500)
@given(st.binary(min_size=7, max_size=7))
def test_codes_always_match_the_format_and_round_trip_normalisation(raw: bytes) -> None:
    code = make_code(raw)
    assert re.fullmatch(f"[{ALPHABET}]{{5}}-[{ALPHABET}]{{5}}", code)
    assert normalise_code(code) == code
    assert normalise_code(code.lower().replace("-", " ")) == code


def test_codes_carry_fifty_random_bits() -> None:
    assert len(ALPHABET) ** 10 == 2**50
    assert make_code(bytes(7)) == "00000-00000"
    assert make_code(b"\xff" * 7) == "ZZZZZ-ZZZZZ"


def test_typed_codes_are_normalised_like_crockford_says() -> None:
    assert normalise_code(" ab1cd-ef2gh ") == "AB1CD-EF2GH"
    assert normalise_code("oIl0o-ABCDE") == "01100-ABCDE"
    assert normalise_code("abcdefghjk") == "ABCDE-FGHJK"
    assert normalise_code("ABCDE-FGHJU") is None  # U is not in the alphabet
    assert normalise_code("ABCD") is None


@settings(max_examples=300)
@given(st.sampled_from(["US", "GB", "HK", "DE", "JP", "AU", "SG", "BR"]), st.data())
def test_phone_parsing_round_trips_through_e164(region: str, data: st.DataObject) -> None:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    national = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    spelled = data.draw(st.sampled_from([national, e164, e164[1:] if region == "ZZ" else e164]))
    assert parse_phone(spelled, region) == e164
    assert parse_phone(e164, "US") == e164
    assert parse_international(e164[1:]) == e164


def test_telegram_numbers_without_plus_are_international_not_local() -> None:
    # Read in GB this would be a wrong, invalid number (LIBRARY-NOTES).
    assert parse_international("79123456789") == "+79123456789"
    assert parse_international("85291234567") == "+85291234567"


@pytest.mark.parametrize("raw", ["", "hello", "+1", "12", "+999999999999999999", "x" * 40])
def test_bad_phone_numbers_are_refused_with_the_field_named(raw: str) -> None:
    with pytest.raises(InvalidPhone) as refused:
        parse_phone(raw, "US")
    assert refused.value.field == "phone"


def test_masked_phones_show_only_the_first_three_characters_and_the_last_three_digits() -> None:
    assert mask("+85291234567") == "+85******567"


def test_local_day_follows_the_campaign_zone_not_utc() -> None:
    instant = datetime(2026, 12, 10, 16, 30, tzinfo=UTC)
    assert local_day(instant, "Asia/Hong_Kong") == date(2026, 12, 11)
    assert local_day(instant, "America/New_York") == date(2026, 12, 10)


def test_next_local_midnight_across_dst_changes_in_new_york() -> None:
    # Spring forward (8 March 2026): that day has 23 hours.
    before = datetime(2026, 3, 8, 6, 0, tzinfo=UTC)  # 01:00 EST
    assert next_local_midnight(before, "America/New_York") == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    # Fall back (1 November 2026): that day has 25 hours.
    before = datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30 EDT
    assert next_local_midnight(before, "America/New_York") == datetime(
        2026, 11, 2, 5, 0, tzinfo=UTC
    )


def test_coupons_are_valid_to_the_end_of_the_last_local_day() -> None:
    issued = datetime(2026, 12, 10, 15, 59, tzinfo=UTC)  # 23:59 on 10 Dec in Hong Kong
    assert coupon_expiry(issued, "Asia/Hong_Kong", 1) == datetime(2026, 12, 11, 16, tzinfo=UTC)
    assert coupon_expiry(issued + timedelta(minutes=1), "Asia/Hong_Kong", 1) == datetime(
        2026, 12, 12, 16, tzinfo=UTC
    )
