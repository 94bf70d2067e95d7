"""Every admin API refusal answers ErrorOut, logs `refused` with its code and counts it."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from app.bootstrap import Core
from tests.api.conftest import AUTH, Client
from tests.helpers import campaign_data, refusals, spec

PAST = "2000-01-01T00:00:00+00:00"


async def _metric(api: Client, reason: str) -> float:
    return refusals(await (await api.get("/metrics")).text(), "api", reason)


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "reason", "field"),
    [
        ("PATCH", "/api/campaigns/{id}", {"keyword": "SUMMER"}, 409, "edit_refused", "keyword"),
        ("PATCH", "/api/campaigns/{id}", {"name": ""}, 400, "invalid", "name"),
        ("PATCH", "/api/campaigns/{id}", {"ends_at": PAST}, 400, "invalid_campaign", "ends_at"),
        ("PATCH", "/api/campaigns/{id}", {"colour": "red"}, 400, "invalid", "colour"),
        ("PATCH", "/api/campaigns/999", {"name": "x"}, 404, "not_found", None),
        ("GET", "/api/campaigns/999/commitment", None, 404, "not_found", None),
        ("POST", "/api/campaigns/{id}/resume", None, 409, "invalid_transition", "status"),
    ],
)
async def test_a_refused_request_is_logged_with_its_reason_and_counted(
    api: Client,
    services: Core,
    method: str,
    path: str,
    body: Any,
    status: int,
    reason: str,
    field: str | None,
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))  # started: keyword fixed
    path = path.format(id=campaign.id)
    before = await _metric(api, reason)
    with capture_logs() as logs:
        resp = await api.request(method, path, json=body, headers=AUTH)
    payload = await resp.json()
    assert (resp.status, payload["error"]["code"]) == (status, reason), payload
    assert payload["error"]["field"] == field
    assert await _metric(api, reason) == before + 1
    [line] = [e for e in logs if e["event"] == "refused"]
    assert (line["surface"], line["reason"], line["status"], line["field"]) == (
        "api",
        reason,
        status,
        field,
    )
    assert (await services.campaigns.get(campaign.id)).name == campaign.name  # nothing changed


async def test_a_wrong_token_is_counted(api: Client) -> None:
    before = await _metric(api, "unauthorized")
    resp = await api.get("/api/campaigns", headers={"Authorization": "Bearer wrong"})
    assert resp.status == 401
    assert await _metric(api, "unauthorized") == before + 1
