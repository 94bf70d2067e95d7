"""The official rules carry the draw commitment, in both languages, and no seed."""

from __future__ import annotations

from app.bootstrap import Core
from db.proofs import PgProofStore
from tests.api.conftest import Client
from tests.helpers import campaign_data, spec


async def test_the_rules_page_and_text_publish_the_draw_commitment(
    api: Client, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    chain = await PgProofStore(services.pool).chain(campaign.id)
    assert chain is not None
    commitment = chain.commitment.hex()
    html = await (await api.get("/r/WINTER")).text()
    text = await (await api.get("/r/WINTER.txt")).text()
    chinese = await (await api.get("/r/WINTER?lang=zh-Hant")).text()
    for document in (html, text):
        assert "Draw commitment" in document
        assert commitment in document
        assert "https://luckydraw.example.com/r/WINTER/proof" in document
    assert "抽獎承諾" in chinese
    assert commitment in chinese
    assert chain.seed(chain.first_day).hex() not in html + text + chinese
