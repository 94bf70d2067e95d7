"""The public proof pages, the verifier download, and `luckydraw verify` on a URL."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core
from app.server import create_app
from app.settings import Settings
from core import proof
from db.proofs import PgProofStore
from tests.api.conftest import AUTH
from tests.conftest import ROOT, FakeClock
from tests.helpers import spec
from tests.proof.helpers import DAY, draw_many, phone, published_day, scarce_campaign


@pytest.fixture
async def client(services: Core, settings: Settings) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(create_app(settings, services))) as test_client:
        yield test_client


async def test_the_proof_page_shows_the_commitment_and_every_published_day(
    services: Core, clock: FakeClock, client: TestClient[Any, Any]
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    commitment = await services.proofs.commitment(campaign.id)
    before = await client.get("/r/winter/proof")
    assert before.status == 200
    assert commitment.commitment in await before.text()
    assert "No day has ended yet" in await before.text()
    assert "'none'" in before.headers["Content-Security-Policy"]
    await draw_many(services, 30)
    log = await published_day(services, clock)
    page = await (await client.get("/r/WINTER/proof")).text()
    assert f"/r/WINTER/proof/{DAY}" in page
    assert log["merkle_root"] in page
    index = await (
        await client.get("/r/WINTER/proof", headers={"Accept": "application/json"})
    ).json()
    assert index["commitment"]["commitment"] == commitment.commitment
    listed = next(d for d in index["days"] if d["day"] == DAY.isoformat())
    assert listed["merkle_root"] == log["merkle_root"]
    assert listed["entries"] == 30
    assert index["stopped"] is None


async def test_the_proof_page_says_when_an_ended_campaign_publishes_no_more_days(
    services: Core, client: TestClient[Any, Any]
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    await services.campaigns.end(campaign.id)
    page = await (await client.get("/r/WINTER/proof")).text()
    assert "The campaign ended on 2026-12-10: later days took no entries" in page
    index = await (
        await client.get("/r/WINTER/proof", headers={"Accept": "application/json"})
    ).json()
    assert "ended on 2026-12-10" in index["stopped"]
    later = await client.get("/r/WINTER/proof/2026-12-11")
    assert later.status == 404
    assert "ended on 2026-12-10" in (await later.json())["error"]["message"]


async def test_the_api_publishes_the_commitment_and_no_seed(
    services: Core, client: TestClient[Any, Any]
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    path = f"/api/campaigns/{campaign.id}/commitment"
    assert (await client.get(path)).status == 401
    answer = await client.get(path, headers=AUTH)
    body = await answer.json()
    chain = await PgProofStore(services.pool).chain(campaign.id)
    assert chain is not None
    assert body["commitment"] == chain.commitment.hex()
    assert set(body) == {"campaign_id", "first_day", "commitment", "committed_at"}
    everything = await (await client.get(f"/api/campaigns/{campaign.id}", headers=AUTH)).text()
    assert chain.seed(DAY).hex() not in everything + str(body)


async def test_a_day_before_its_end_is_refused_with_when_it_will_be_revealed(
    services: Core, client: TestClient[Any, Any]
) -> None:
    await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 5)
    answer = await client.get(f"/r/WINTER/proof/{DAY}")
    assert answer.status == 404
    assert "has not ended in Asia/Hong_Kong" in (await answer.json())["error"]["message"]
    assert (await client.get("/r/NOSUCH/proof")).status == 404
    assert (await client.get("/r/WINTER/proof/2026-13-45")).status == 400


async def test_a_customer_finds_their_entry_and_how_its_outcome_follows(
    services: Core, clock: FakeClock, client: TestClient[Any, Any]
) -> None:
    campaign = await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 30)
    log = await published_day(services, clock)
    chain = await PgProofStore(services.pool).chain(campaign.id)
    assert chain is not None
    reference = proof.reference_of(proof.entry_of(chain.entry_key, phone(3)))
    mine = next(e for e in log["entries"] if e["ref"].startswith(reference))
    typed = f"{reference[:4].lower()} {reference[4:]}"
    page = await (await client.get("/r/WINTER/proof/lookup", params={"ref": typed})).text()
    assert mine["ref"] in page
    assert f"u = {mine['u']:.6f}" in page
    assert page.count("← yours") == (0 if mine["band"] is None else 1)
    assert phone(3) not in page
    bad = await client.get("/r/WINTER/proof/lookup", params={"ref": "<script>"})
    assert bad.status == 400
    assert "<script>" not in await bad.text()


async def test_the_downloaded_verifier_and_luckydraw_verify_check_a_live_day(
    services: Core, clock: FakeClock, client: TestClient[Any, Any], tmp_path: Path
) -> None:
    await services.campaigns.create(spec(scarce_campaign()))
    await draw_many(services, 40)
    await published_day(services, clock)
    download = await client.get("/r/WINTER/proof/verify.py")
    assert "attachment" in download.headers["Content-Disposition"]
    script = tmp_path / "verify.py"
    script.write_bytes(await download.read())
    assert script.read_bytes() == (ROOT / "core" / "verify.py").read_bytes()
    url = str(client.make_url(f"/r/WINTER/proof/{DAY}"))
    # -I: isolated, so the script runs on the standard library alone, outside the project.
    standalone = await _run(sys.executable, "-I", str(script), url, cwd=tmp_path)
    luckydraw = Path(sys.executable).parent / "luckydraw"  # this interpreter's install
    cli = await _run(str(luckydraw), "verify", url, cwd=ROOT)
    for status, output in (standalone, cli):
        assert status == 0, output
        assert "WINTER 2026-12-10: 40 entries" in output
        assert "OK: seed, u, bands, outcomes, quotas and Merkle root all check out" in output
    every_day = await _run(
        sys.executable, "-I", str(script), str(client.make_url("/r/WINTER/proof")), cwd=tmp_path
    )
    assert every_day[0] == 0
    assert every_day[1].count(" entries") == 10


async def _run(*command: str, cwd: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, output.decode()
