"""Verifiable draws: reveal each ended day's seed, publish its log, answer who asks about it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core import draw as rules
from core import proof
from core.errors import CampaignNotFound, KeywordNeeded, NoActiveCampaign, ProofNotPublished
from core.model import Campaign, CampaignStatus, Language
from core.ports import CampaignStore, Clock, DrawSecrets, ProofStore
from core.proof import Commitment, EntryReference, PublishedDay
from core.rules import Section

# A day is revealed this long after it ends, so a draw decided just before midnight has
# reached the database before its day's log is written.
REVEAL_GRACE = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class ProofIndex:
    campaign: Campaign
    commitment: Commitment
    days: Sequence[PublishedDay]

    @property
    def stopped(self) -> str | None:
        """Why no day after the last logged one will be published, if that is so."""
        return _stopped(self.campaign)


@dataclass(frozen=True, slots=True)
class FoundEntry:
    """A customer's published entry, with how its band follows from `u` and the odds."""

    day: date
    entry: dict[str, Any]
    bands: Sequence[tuple[str, float, float]]  # (prize, from, to): u in [from, to) wins it


class ProofService:
    def __init__(
        self,
        campaigns: CampaignStore,
        store: ProofStore,
        secrets: DrawSecrets,
        clock: Clock,
        public_base_url: str,
    ) -> None:
        self._public_base_url = public_base_url.rstrip("/")
        self._campaigns = campaigns
        self._store = store
        self._secrets = secrets
        self._clock = clock

    async def commitment(self, campaign_id: int) -> Commitment:
        found = await self._store.commitment(campaign_id)
        if found is None:
            raise CampaignNotFound(f"no campaign {campaign_id}")
        return found

    async def publish_due(self) -> list[tuple[int, date, str]]:
        """Reveal and publish every ended day not yet published: (campaign, day, root) each.

        Safe on many instances at once: a day is stored once (its key), and its log is the
        same whoever writes it.
        """
        now = self._clock()
        published = []
        for campaign in await self._campaigns.list():
            chain = await self._store.chain(campaign.id)
            if chain is None:
                continue
            today = rules.local_day(now - REVEAL_GRACE, campaign.timezone)
            due = proof.publishable_days(
                chain.first_day,
                rules.local_day(campaign.starts_at, campaign.timezone),
                proof.last_logged_day(campaign),
                today,
            )
            for day in await self._store.unpublished_days(campaign.id, due):
                root = await self._publish(campaign, chain.seed(day), day, now)
                if root is not None:
                    published.append((campaign.id, day, root))
        return published

    async def _publish(
        self, campaign: Campaign, seed: bytes, day: date, now: datetime
    ) -> str | None:
        commitment = await self.commitment(campaign.id)
        draws, quotas = await self._store.day_record(campaign.id, day)
        current = proof.odds_version(campaign.prizes)
        used = sorted({d.odds for d in draws}) or [current]  # a day without entries: today's
        # The current odds are always known, whether or not the store kept them.
        odds = {current: proof.odds_of(campaign.prizes)}
        odds.update(await self._store.odds(campaign.id, used))
        log = proof.day_log(
            campaign={
                "id": campaign.id,
                "keyword": campaign.keyword,
                "name": campaign.name,
                "timezone": campaign.timezone,
            },
            commitment=commitment,
            day=day,
            seed=seed,
            odds=[{"version": v, "prizes": odds[v]} for v in used if v in odds],
            max_wins_per_customer=campaign.max_wins_per_customer,
            draws=draws,
            quotas=quotas,
            published_at=now,
        )
        body = json.dumps(log, ensure_ascii=False, indent=1).encode()
        root = str(log["merkle_root"])
        added = await self._store.publish(campaign.id, day, seed, body, root, len(draws), now)
        return root if added else None

    async def campaign(self, keyword: str) -> Campaign:
        """The campaign a public page means: the open one with that keyword, else the latest."""
        found = await self._campaigns.by_keyword(keyword.upper())
        if not found:
            raise CampaignNotFound(f"no campaign with keyword {keyword.upper()}")
        now = self._clock()
        open_now = [c for c in found if c.is_open(now)]
        return (open_now or sorted(found, key=lambda c: c.starts_at))[-1]

    async def index(self, keyword: str) -> ProofIndex:
        campaign = await self.campaign(keyword)
        return ProofIndex(
            campaign=campaign,
            commitment=await self.commitment(campaign.id),
            days=await self._store.published_days(campaign.id),
        )

    async def day(self, keyword: str, day: date) -> bytes:
        """The day's published log, exactly as stored; ProofNotPublished before its reveal."""
        campaign = await self.campaign(keyword)
        log = await self._store.published(campaign.id, day)
        if log is not None:
            return log
        stopped = _stopped(campaign)
        if stopped is not None and day > proof.last_logged_day(campaign):
            raise ProofNotPublished(stopped)
        reveal_at = rules.start_of_day(day + timedelta(days=1), campaign.timezone) + REVEAL_GRACE
        if reveal_at > self._clock():
            raise ProofNotPublished(
                f"{day} has not ended in {campaign.timezone}: its seed and log are revealed "
                f"after it ends",
                reveal_at,
            )
        first = rules.local_day(campaign.starts_at, campaign.timezone)
        if first <= day <= proof.last_logged_day(campaign):
            # Ended, and the scheduler's next proofs.publish (every minute) reveals it.
            raise ProofNotPublished(
                f"{day} has ended in {campaign.timezone}: its seed and log are being published; "
                "try again in a minute",
                reveal_at,
            )
        raise ProofNotPublished(f"no draws are published for {day} (not a day of the campaign)")

    async def lookup(self, keyword: str, reference: str) -> Sequence[FoundEntry]:
        """Published entries of a customer's reference, each with the bands it fell among."""
        campaign = await self.campaign(keyword)
        wanted = proof.normalise_reference(reference)
        if wanted is None:
            return []
        found = await self._store.entries_of(campaign.id, wanted)
        odds = {proof.odds_version(campaign.prizes): proof.odds_of(campaign.prizes)}
        odds.update(await self._store.odds(campaign.id, sorted({e["odds"] for _, e in found})))
        return [
            FoundEntry(day=day, entry=entry, bands=_bands(odds.get(entry["odds"], [])))
            for day, entry in found
        ]

    async def rules_section(self, campaign: Campaign, language: Language) -> Section | None:
        """The "Draw commitment" section of the official rules."""
        found = await self._store.commitment(campaign.id)
        if found is None:
            return None
        heading, text = _SECTION.get(language, _SECTION[Language.EN])
        url = f"{self._public_base_url}/r/{campaign.keyword}/proof"
        body = text.format(commitment=found.commitment, day=found.first_day.isoformat(), url=url)
        return Section("commitment", heading, (body,))

    async def entry_reference(self, phone: str, keyword: str | None) -> EntryReference:
        """A customer's reference (the same every day) in the campaign named, or the only
        open one, and the link to its proofs."""
        if keyword:
            campaign = await self.campaign(keyword)
        else:
            open_now = await self._campaigns.open_campaigns(self._clock())
            if not open_now:
                raise NoActiveCampaign("no campaign is open right now")
            if len(open_now) > 1:
                raise KeywordNeeded(sorted(c.keyword for c in open_now))
            campaign = open_now[0]
        entry = proof.entry_of(await self._secrets.entry_key(campaign.id), phone)
        return EntryReference(
            campaign=campaign,
            reference=proof.reference_of(entry),
            url=f"{self._public_base_url}/r/{campaign.keyword}/proof",
        )


_STOPPED = {
    CampaignStatus.ENDED: "the campaign ended on {day}: later days took no entries, so they have "
    "no log (and their seeds are never revealed); {day} is the last day published",
    CampaignStatus.PAUSED: "the campaign is paused since {day}: later days take no entries; "
    "their logs are published if it resumes",
}


def _stopped(campaign: Campaign) -> str | None:
    if campaign.status not in _STOPPED or campaign.stopped_at is None:
        return None
    return _STOPPED[campaign.status].format(day=proof.last_logged_day(campaign))


_SECTION = {
    Language.EN: (
        "Draw commitment",
        "Every result is fixed before anyone enters. When this campaign was created it committed "
        "to a chain of secret day seeds, published as SHA-256 {commitment} (the seed of {day}). "
        "Each entry's value comes from its day's seed and the customer's entry reference; each "
        "seed is revealed after its day ends, with the day's full draw log, at {url}, where "
        "anyone can check every result with a downloadable verifier. Text PROOF (Telegram: "
        "/proof) for your reference.",
    ),
    Language.ZH_HANT: (
        "抽獎承諾",
        "所有結果在任何人參加前已經確定。本活動建立時已承諾一組保密的每日種子，並公佈其 SHA-256："
        "{commitment}（{day} 的種子）。每次抽獎的數值由當日種子及參加者的驗證編號決定；"
        "每日結束後，當日種子連同完整抽獎紀錄會在 {url} 公佈，任何人都可以用可下載的驗證程式"
        "核對每個結果。傳送 PROOF（Telegram：/proof）查詢你的驗證編號。",
    ),
}


def _bands(prizes: list[dict[str, Any]]) -> list[tuple[str, float, float]]:
    edge, bands = 0.0, []
    for prize in prizes:
        bands.append((str(prize["name"]), edge, edge + float(prize["probability"])))
        edge += float(prize["probability"])
    return bands
