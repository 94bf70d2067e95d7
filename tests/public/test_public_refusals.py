"""Public pages refuse bad input and unknown things with a clear 4xx, log why, count it."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from app.bootstrap import Core
from tests.api.conftest import Client
from tests.helpers import campaign_data, refusals, spec


async def _refused(api: Client, path: str, status: int, reason: str) -> str:
    before = refusals(await (await api.get("/metrics")).text(), "public", reason)
    with capture_logs() as logs:
        resp = await api.get(path)
    text = await resp.text()
    assert resp.status == status, text
    assert refusals(await (await api.get("/metrics")).text(), "public", reason) == before + 1
    assert [e["reason"] for e in logs if e["event"] == "refused"] == [reason]
    return text


@pytest.mark.parametrize("day", ["2026-13-45", "20261201", "2026-1-1", "yesterday"])
async def test_a_malformed_proof_day_is_400_naming_the_field(
    api: Client, services: Core, day: str
) -> None:
    await services.campaigns.create(spec(campaign_data()))
    body = await _refused(api, f"/r/WINTER/proof/{day}", 400, "invalid")
    assert '"field": "day"' in body
    assert "YYYY-MM-DD" in body


async def test_a_day_not_published_yet_is_404_with_its_reason(api: Client, services: Core) -> None:
    await services.campaigns.create(spec(campaign_data()))
    body = await _refused(api, "/r/WINTER/proof/2099-01-01", 404, "proof_not_published")
    assert '"field": null' in body


@pytest.mark.parametrize(
    ("query", "reason", "says"),
    [
        ("?version=abc", "invalid_version", "version must be a whole number"),
        ("?version=0", "invalid_version", "version must be a whole number"),
        ("?lang=xx", "invalid_lang", "lang must be en or zh-Hant"),
        ("?version=9", "not_found", "has no rules version 9"),
    ],
)
async def test_bad_rules_queries_are_refused_with_why(
    api: Client, services: Core, query: str, reason: str, says: str
) -> None:
    await services.campaigns.create(spec(campaign_data()))
    status = 404 if reason == "not_found" else 400
    assert says in await _refused(api, f"/r/WINTER{query}", status, reason)


async def test_an_unknown_keyword_and_a_bad_reference_are_refused(
    api: Client, services: Core
) -> None:
    await _refused(api, "/r/NOSUCH", 404, "not_found")
    await _refused(api, "/r/NOSUCH/proof", 404, "not_found")
    await services.campaigns.create(spec(campaign_data()))
    assert "is not an entry reference" in await _refused(
        api, "/r/WINTER/proof/lookup?ref=!!", 400, "invalid_ref"
    )
