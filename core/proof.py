"""Verifiable draws, the service's side: the seed chain, entry references, a day's log.

The rules themselves (how `u`, the band and the Merkle root follow from a seed) live in
`core/verify.py`, the standalone verifier, so the draw and its check read the same text.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from core import verify
from core.codes import ALPHABET
from core.draw import local_day
from core.model import Campaign, CampaignStatus, Prize

SEED_BYTES = 32
# Days the chain runs past the campaign's last day, so an extended campaign keeps its
# commitment (a reverse chain cannot be lengthened at its end without a new anchor).
SPARE_DAYS = 366
ENTRY_CHARS = 24  # 120 bits of HMAC: the entry a draw's u is derived from
REFERENCE_CHARS = 8  # what a customer reads and types: the entry's first characters


@dataclass(frozen=True, slots=True)
class SeedChain:
    """A campaign's committed chain; `last_seed` and `entry_key` never leave the server."""

    first_day: date
    days: int
    last_seed: bytes
    entry_key: bytes

    @property
    def commitment(self) -> bytes:
        return verify.next_seed(self.seed(self.first_day))

    def seed(self, day: date) -> bytes:
        """The seed of `day`: the last day's seed hashed once per day back from the end."""
        offset = (day - self.first_day).days
        if not 0 <= offset < self.days:
            raise ValueError(f"{day} is outside the committed chain")
        value = self.last_seed
        for _ in range(self.days - 1 - offset):
            value = verify.next_seed(value)
        return value


def new_chain(first_day: date, last_day: date, random_bytes: bytes) -> SeedChain:
    """A chain from `first_day` to past `last_day`, from 64 CSPRNG bytes (seed, entry key)."""
    if len(random_bytes) < 2 * SEED_BYTES:
        raise ValueError(f"need {2 * SEED_BYTES} random bytes")
    return SeedChain(
        first_day=first_day,
        days=(last_day - first_day).days + 1 + SPARE_DAYS,
        last_seed=random_bytes[:SEED_BYTES],
        entry_key=random_bytes[SEED_BYTES : 2 * SEED_BYTES],
    )


@dataclass(frozen=True, slots=True)
class Commitment:
    """What is public from the start: SHA-256 of the first day's seed."""

    campaign_id: int
    first_day: date
    commitment: str  # hex
    committed_at: datetime


@dataclass(frozen=True, slots=True)
class DaySecrets:
    """What a draw on one campaign-local day needs, read once per process and day."""

    seed: bytes
    entry_key: bytes


def odds_of(prizes: Sequence[Prize]) -> list[dict[str, Any]]:
    """The odds a draw picks its band with, as the proof publishes them (prize order)."""
    return [
        {"id": p.id, "name": p.name, "probability": p.probability, "pacing": p.pacing.value}
        for p in prizes
    ]


@lru_cache(maxsize=256)
def odds_version(prizes: tuple[Prize, ...]) -> str:
    """Names a set of odds: the first 16 hex digits of SHA-256 over them. Each draw records the
    version it used, so a day's log shows which odds every entry was drawn with, edits or not."""
    return hashlib.sha256(verify.canonical(odds_of(prizes))).hexdigest()[:16]


def entry_of(entry_key: bytes, phone: str) -> str:
    """A customer's public entry in a campaign: a keyed hash of the phone under the
    campaign's secret key, so nobody without the key can test phone numbers against it."""
    digest = hmac.new(entry_key, phone.encode(), hashlib.sha256).digest()
    value = int.from_bytes(digest[:15], "big")
    return "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(ENTRY_CHARS)))


def reference_of(entry: str) -> str:
    """The short form a customer is told and types on the proof page."""
    return entry[:REFERENCE_CHARS]


def normalise_reference(text: str) -> str | None:
    """The reference a person meant (case, spaces, Crockford look-alikes forgiven)."""
    raw = "".join(text.split()).upper().replace("-", "")
    raw = raw.translate(str.maketrans("OIL", "011"))
    if not REFERENCE_CHARS <= len(raw) <= ENTRY_CHARS or any(c not in ALPHABET for c in raw):
        return None
    return raw


@dataclass(frozen=True, slots=True)
class LoggedDraw:
    """One recorded draw as the day's log shows it (no phone: only the entry)."""

    entry: str
    at: datetime
    u: float
    band: int | None  # the picked prize's id, None for "no prize"
    outcome: str
    odds: str  # the odds version the band was picked with
    prior_wins: int = 0


@dataclass(frozen=True, slots=True)
class QuotaFigures:
    prize_id: int
    daily_quota: int
    total_quota: int
    issued_before: int
    issued: int
    units: int | None = None  # the day's units (daily quota within what the total had left)
    released: tuple[datetime, ...] | None = None  # paced prizes: when each unit was released


def day_log(
    *,
    campaign: dict[str, Any],
    commitment: Commitment,
    day: date,
    seed: bytes,
    odds: list[dict[str, Any]],
    max_wins_per_customer: int | None,
    draws: list[LoggedDraw],
    quotas: list[QuotaFigures],
    published_at: datetime,
) -> dict[str, Any]:
    """The published proof of a day, in `verify.FORMAT`; its Merkle root covers the entries."""
    entries = [_entry(d) for d in draws]
    return {
        "format": verify.FORMAT,
        "campaign": campaign,
        "commitment": {
            "first_day": commitment.first_day.isoformat(),
            "commitment": commitment.commitment,
            "committed_at": _iso(commitment.committed_at),
        },
        "day": day.isoformat(),
        "seed": seed.hex(),
        "odds": odds,
        "max_wins_per_customer": max_wins_per_customer,
        "quotas": [
            {
                "prize": q.prize_id,
                "daily_quota": q.daily_quota,
                "total_quota": q.total_quota,
                "issued_before": q.issued_before,
                "issued": q.issued,
                "units": q.units,
                "released": None if q.released is None else [_iso(r) for r in q.released],
            }
            for q in quotas
        ],
        "entries": entries,
        "merkle_root": verify.merkle_root(entries),
        "published_at": _iso(published_at),
    }


def _entry(draw: LoggedDraw) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "ref": draw.entry,
        "time": _iso(draw.at),
        "u": draw.u,
        "band": draw.band,
        "outcome": draw.outcome,
        "odds": draw.odds,
    }
    if draw.outcome == "capped":
        entry["prior_wins"] = draw.prior_wins
    return entry


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def last_logged_day(campaign: Campaign) -> date:
    """The campaign's last day with a log: its last day, or the day it stopped taking entries
    when paused or ended. Later days take no entries, so they get no log and their seeds are
    never revealed (no verifier needs them); a paused campaign that resumes publishes the days
    of its pause, empty, and goes on."""
    last = local_day(campaign.ends_at, campaign.timezone)
    if campaign.status is CampaignStatus.ACTIVE or campaign.stopped_at is None:
        return last
    return min(last, local_day(campaign.stopped_at, campaign.timezone))


def publishable_days(
    chain_first_day: date, start_day: date, end_day: date, today: date
) -> list[date]:
    """The campaign's days that have ended (by `today`, local) and so may be revealed."""
    first = max(chain_first_day, start_day)
    last = min(end_day, today - timedelta(days=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@dataclass(frozen=True, slots=True)
class PublishedDay:
    day: date
    merkle_root: str
    entries: int
    published_at: datetime


def chain_for(
    timezone: str, starts_at: datetime, ends_at: datetime, now: datetime, random_bytes: bytes
) -> SeedChain:
    """A new campaign's chain, from its first local day or today, whichever comes first (so a
    start moved earlier before the campaign opens still has seeds)."""
    first_day = min(local_day(now, timezone), local_day(starts_at, timezone))
    return new_chain(first_day, local_day(ends_at, timezone), random_bytes)


@dataclass(frozen=True, slots=True)
class EntryReference:
    """What PROOF answers: the customer's reference in a campaign and where proofs appear."""

    campaign: Campaign
    reference: str
    url: str
