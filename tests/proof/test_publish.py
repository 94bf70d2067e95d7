"""After each local day the seed is revealed and the day's log published; before, never."""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from structlog.testing import capture_logs

from app.bootstrap import Core
from app.scheduler import publish_proofs
from core import verify
from core.errors import ProofNotPublished
from core.model import Channel
from db.proofs import PgProofStore
from tests.conftest import FakeClock
from tests.helpers import campaign_data, spec
from tests.proof.helpers import DAY, draw_many, phone, published_day, scarce_campaign


async def test_a_day_is_published_after_it_ends_and_the_verifier_passes_it(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 200)
    log = await published_day(services, clock)
    report = verify.verify(log)
    assert report.ok, report.text()
    assert report.entries == 200
    assert report.wins == {"Mug": 20, "Tote Bag": 12}
    assert report.outcomes["sold_out"] > 0
    assert [q["issued"] for q in log["quotas"]] == [20, 12]


async def test_every_ended_day_is_published_once_even_on_two_instances(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(scarce_campaign()))
    clock.set(datetime(2026, 12, 3, 16, 3, tzinfo=UTC))  # 3 Dec ended in Hong Kong
    first = await services.proofs.publish_due()
    second = await services.proofs.publish_due()
    assert [day for _, day, _ in first] == [date(2026, 12, 1), date(2026, 12, 2), date(2026, 12, 3)]
    assert second == []
    empty = json.loads(await services.proofs.day("WINTER", date(2026, 12, 2)))
    assert verify.verify(empty).ok
    assert empty["entries"] == []


async def test_no_seed_is_readable_before_its_day_has_ended(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    chain = await PgProofStore(services.pool).chain(campaign.id)
    assert chain is not None
    secrets = {chain.seed(DAY + timedelta(days=i)).hex() for i in range(-9, 20)}
    secrets |= {chain.last_seed.hex(), chain.entry_key.hex()}
    with capture_logs() as logs:
        await draw_many(services, 20)
        clock.set(datetime(2026, 12, 10, 16, 1, tzinfo=UTC))  # midnight passed, grace not
        await publish_proofs(services.proofs)
        with pytest.raises(ProofNotPublished, match="has not ended") as early:
            await services.proofs.day("WINTER", DAY)
        assert early.value.reveal_at == datetime(2026, 12, 10, 16, 2, tzinfo=UTC)
        clock.set(datetime(2026, 12, 10, 16, 3, tzinfo=UTC))
        await publish_proofs(services.proofs)
    revealed = json.loads(await services.proofs.day("WINTER", DAY))["seed"]
    assert revealed == chain.seed(DAY).hex()
    for day in (date(2026, 12, 11), date(2026, 12, 12)):
        with pytest.raises(ProofNotPublished):
            await services.proofs.day("WINTER", day)
    published = b"".join(
        [await services.proofs.day("WINTER", date(2026, 12, d)) for d in range(1, 11)]
    ).decode()
    later_seeds = {chain.seed(DAY + timedelta(days=i)).hex() for i in range(1, 20)}
    assert not any(s in published for s in later_seeds | {chain.entry_key.hex()})
    assert not any(s in repr(logs) for s in secrets)
    assert any(e["event"] == "proof_published" for e in logs)


async def test_nothing_published_contains_a_phone_number(services: Core, clock: FakeClock) -> None:
    await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 50)
    log = await published_day(services, clock)
    text = json.dumps(log)
    for i in range(50):
        digits = phone(i).lstrip("+")
        assert digits not in text
        assert digits[-8:] not in text  # the national number either
        assert hashlib.sha256(phone(i).encode()).hexdigest()[:16] not in text


def flip_a_win(log: dict[str, Any]) -> str:
    entry = next(e for e in log["entries"] if e["outcome"] == "won")
    entry["outcome"] = "sold_out"
    return "coupons issued"


def flip_a_loss(log: dict[str, Any]) -> str:
    entry = next(e for e in log["entries"] if e["outcome"] == "no_prize")
    entry["outcome"] = "won"
    return "contradicts its band"


def remove_an_entry(log: dict[str, Any]) -> str:
    del log["entries"][len(log["entries"]) // 2]
    return "Merkle root does not match"


def add_a_win_beyond_the_quota(log: dict[str, Any]) -> str:
    entry = next(e for e in log["entries"] if e["outcome"] == "sold_out")
    entry["outcome"] = "won"
    quota = next(q for q in log["quotas"] if q["prize"] == entry["band"])
    quota["issued"] += 1
    log["merkle_root"] = verify.merkle_root(log["entries"])  # a careful forger
    return "over the daily quota"


def swap_the_seed(log: dict[str, Any]) -> str:
    log["seed"] = hashlib.sha256(b"another seed").hexdigest()
    return "does not hash to the commitment"


def change_the_odds(log: dict[str, Any]) -> str:
    log["odds"][0]["prizes"][0]["probability"] = 0.5
    return "does not follow from u"


@pytest.mark.parametrize(
    "tamper",
    [
        flip_a_win,
        flip_a_loss,
        remove_an_entry,
        add_a_win_beyond_the_quota,
        swap_the_seed,
        change_the_odds,
    ],
)
async def test_the_verifier_names_what_was_tampered_with(
    services: Core, clock: FakeClock, tamper: Any
) -> None:
    await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 150)
    log = await published_day(services, clock)
    assert verify.verify(log).ok
    forged = copy.deepcopy(log)
    expected = tamper(forged)
    report = verify.verify(forged)
    assert not report.ok
    assert any(expected in problem for problem in report.problems), report.problems
    assert "FAILED" in report.text()


async def test_not_yet_released_and_capped_outcomes_are_published_and_verified(
    services: Core, clock: FakeClock
) -> None:
    paced = {"name": "Mug", "probability": 1.0, "total_quota": 100, "daily_quota": 8,
             "valid_days": 7, "pacing": "even"}  # fmt: skip
    await services.campaigns.create(
        spec(campaign_data(prizes=[paced], max_wins_per_customer=1, open_hours="00:00-24:00"))
    )
    clock.set(datetime(2026, 12, 9, 4, 0, tzinfo=UTC))  # noon on 9 Dec: about half released
    await draw_many(services, 12)
    clock.set(datetime(2026, 12, 10, 15, 0, tzinfo=UTC))  # 23:00 on 10 Dec: nearly all
    await draw_many(services, 12, day="10")
    await published_day(services, clock)
    first = json.loads(await services.proofs.day("WINTER", date(2026, 12, 9)))
    second = json.loads(await services.proofs.day("WINTER", DAY))
    for log in (first, second):
        report = verify.verify(log)
        assert report.ok, report.text()
    assert verify.verify(first).outcomes["not_yet_released"] > 0
    assert len(first["quotas"][0]["released"]) == 8
    capped = [e for e in second["entries"] if e["outcome"] == "capped"]
    assert capped
    assert all(e["prior_wins"] == 1 for e in capped)
    # A capped entry claimed for a customer who never won is caught.
    forged = copy.deepcopy(second)
    next(e for e in forged["entries"] if e["outcome"] == "capped")["prior_wins"] = 0
    assert any("below the cap" in p for p in verify.verify(forged).problems)


async def test_an_odds_edit_during_the_day_publishes_both_versions_and_verifies(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 60)
    mug, tote = campaign.prizes
    await services.campaigns.edit(
        campaign.id,
        {"prizes": [{"id": mug.id, "probability": 0.05}, {"id": tote.id, "probability": 0.6}]},
        actor="test",
    )
    await services.campaigns.drop_cached()
    clock.advance(seconds=1)
    await asyncio.gather(*(services.draws.draw(phone(1000 + i), Channel.SMS) for i in range(60)))
    log = await published_day(services, clock)
    report = verify.verify(log)
    assert report.ok, report.text()
    assert len(log["odds"]) == 2
    assert [v["prizes"][0]["probability"] for v in log["odds"]] in ([0.3, 0.05], [0.05, 0.3])


async def published_days(services: Core) -> list[date]:
    return [d.day for d in (await services.proofs.index("WINTER")).days]


async def test_an_ended_campaign_publishes_its_last_day_and_never_a_later_one(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 20)
    await services.campaigns.end(campaign.id)  # 10 Dec, 12:00 in Hong Kong
    for moment in (datetime(2026, 12, 20, 4, tzinfo=UTC), datetime(2027, 1, 5, tzinfo=UTC)):
        clock.set(moment)  # ten days on, then past ends_at (31 Dec)
        await services.proofs.publish_due()
        assert await published_days(services) == [date(2026, 12, d) for d in range(1, 11)]
    last = json.loads(await services.proofs.day("WINTER", DAY))
    assert len(last["entries"]) == 20
    assert verify.verify(last).ok
    with pytest.raises(ProofNotPublished, match="ended on 2026-12-10: later days took no entries"):
        await services.proofs.day("WINTER", date(2026, 12, 11))
    assert "ended on 2026-12-10" in str((await services.proofs.index("WINTER")).stopped)


async def test_a_paused_campaign_publishes_up_to_its_pause_and_the_rest_once_it_resumes(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 10)
    await services.campaigns.pause(campaign.id)  # 10 Dec, 12:00 in Hong Kong
    clock.set(datetime(2026, 12, 13, 4, tzinfo=UTC))
    await services.proofs.publish_due()
    assert (await published_days(services))[-1] == DAY
    with pytest.raises(ProofNotPublished, match="paused since 2026-12-10"):
        await services.proofs.day("WINTER", date(2026, 12, 11))
    await services.campaigns.resume(campaign.id)  # 13 Dec: the chain goes on
    clock.set(datetime(2026, 12, 13, 16, 3, tzinfo=UTC))
    await services.proofs.publish_due()
    assert await published_days(services) == [date(2026, 12, d) for d in range(1, 14)]
    paused_day = json.loads(await services.proofs.day("WINTER", date(2026, 12, 12)))
    assert paused_day["entries"] == []
    assert verify.verify(paused_day).ok
    assert (await services.proofs.index("WINTER")).stopped is None


async def test_a_campaign_ended_while_paused_stops_its_proofs_at_the_pause(
    services: Core, clock: FakeClock
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    await services.campaigns.pause(campaign.id)  # 10 Dec
    clock.set(datetime(2026, 12, 15, 4, tzinfo=UTC))
    await services.campaigns.end(campaign.id)
    clock.set(datetime(2026, 12, 20, 4, tzinfo=UTC))
    await services.proofs.publish_due()
    assert (await published_days(services))[-1] == DAY


async def test_an_ended_day_waiting_for_its_publish_tick_says_so_not_that_it_is_no_day(
    services: Core, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(scarce_campaign()))
    clock.set(datetime(2026, 12, 3, 16, 3, tzinfo=UTC))  # 3 Dec ended in Hong Kong 3 min ago
    with pytest.raises(ProofNotPublished, match="2026-12-03 has ended in Asia/Hong_Kong: its"):
        await services.proofs.day("WINTER", date(2026, 12, 3))
    with pytest.raises(ProofNotPublished, match="not a day of the campaign"):
        await services.proofs.day("WINTER", date(2026, 11, 30))  # before it started
    await services.proofs.publish_due()
    assert json.loads(await services.proofs.day("WINTER", date(2026, 12, 3)))["entries"] == []
