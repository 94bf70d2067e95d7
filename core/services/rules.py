"""Official rules: published as a new version on every change, read by keyword."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from core.errors import CampaignNotFound, NoActiveCampaign
from core.model import Campaign, Language, PublishedRules, RulesVersion
from core.ports import CampaignStore, Clock, RulesStore
from core.rules import Entry, RulesDocument, Section, document

# Another feature's section of the rules (e.g. the draw commitment), or None to add nothing.
SectionSource = Callable[[Campaign, Language], Awaitable[Section | None]]


class RulesService:
    def __init__(
        self,
        store: RulesStore,
        campaigns: CampaignStore,
        clock: Clock,
        public_base_url: str,
        entry: Entry | None = None,
    ) -> None:
        self._store = store
        self._campaigns = campaigns
        self._clock = clock
        self._base = public_base_url.rstrip("/")
        self._entry = entry or Entry()
        self._sections: list[SectionSource] = []

    def add_section(self, source: SectionSource) -> None:
        """Add a section to every rules document, before the list of versions."""
        self._sections.append(source)

    def link(self, keyword: str) -> str:
        """The public address of a campaign's rules, as SMS and Telegram send it."""
        return f"{self._base}/r/{keyword}"

    async def publish(self, campaign: Campaign) -> RulesVersion:
        """A new version of the campaign's rules. The campaign store makes one with each
        creation and edit, in its transaction; this is for campaigns made before that."""
        return await self._store.publish(campaign, self._clock())

    async def published(self, keyword: str, number: int | None = None) -> PublishedRules:
        """Version `number` (else the latest) of the rules of the campaign with `keyword`:
        the open one, else the latest to start. Raises CampaignNotFound."""
        campaign = await self._by_keyword(keyword.upper())
        versions = tuple(await self._store.versions(campaign.id))
        if not versions:  # made before rules were versioned
            versions = (await self.publish(campaign),)
        wanted = versions[-1] if number is None else _find(versions, number)
        if wanted is None:
            raise CampaignNotFound(f"{campaign.keyword} has no rules version {number}")
        snapshot = await self._store.read(campaign.id, wanted.number)
        assert snapshot is not None
        return PublishedRules(campaign=snapshot, version=wanted, versions=versions)

    async def document(self, rules: PublishedRules, language: Language) -> RulesDocument:
        extra: list[Section] = []
        for source in self._sections:
            section = await source(rules.campaign, language)
            if section is not None:
                extra.append(section)
        return document(rules.campaign, rules.version, rules.versions, self._entry, language, extra)

    async def campaign(self, keyword: str | None, home: Campaign | None) -> Campaign:
        """The campaign a RULES message is about: the one named, else `home` (the channel's
        home campaign). Raises CampaignNotFound, or NoActiveCampaign without either."""
        if keyword:
            return await self._by_keyword(keyword.upper())
        if home is None:
            raise NoActiveCampaign("no campaign to show the rules of")
        return home

    async def _by_keyword(self, keyword: str) -> Campaign:
        now = self._clock()
        for campaign in await self._campaigns.open_campaigns(now):
            if campaign.keyword == keyword:
                return campaign
        known = await self._campaigns.by_keyword(keyword)
        if not known:
            raise CampaignNotFound(f"no campaign with keyword {keyword}")
        return max(known, key=lambda c: c.starts_at)


def _find(versions: Sequence[RulesVersion], number: int) -> RulesVersion | None:
    return next((v for v in versions if v.number == number), None)
