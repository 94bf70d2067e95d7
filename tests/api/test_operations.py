"""/healthz, /readyz and /metrics: what an orchestrator and Prometheus see."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from app.bootstrap import Core, open_core
from app.server import create_app
from app.settings import Settings
from tests.api.conftest import Client, call, empty_database
from tests.conftest import FakeClock
from tests.helpers import sure_win
from tests.private_redis import start_private_redis


@asynccontextmanager
async def _client(settings: Settings, clock: FakeClock) -> AsyncIterator[Client]:
    async with (
        open_core(settings, clock=clock) as core,
        TestClient(TestServer(create_app(settings, core))) as client,
    ):
        yield client


async def _metrics(api: Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = await api.get("/metrics")  # public, like /healthz: scraped without the admin token
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(await resp.text())
        for s in family.samples
    }


async def test_healthz_answers_while_the_process_runs(api: Client) -> None:
    resp = await api.get("/healthz")
    assert (resp.status, await resp.json()) == (200, {"status": "ok"})


async def test_readyz_is_ready_with_postgres_redis_and_a_current_schema(api: Client) -> None:
    resp = await api.get("/readyz")
    assert resp.status == 200
    assert await resp.json() == {
        "status": "ready",
        "checks": {"postgres": "ok", "migrations": "ok", "redis": "ok"},
    }


async def test_with_redis_down_readyz_is_503_draws_go_on_and_fallbacks_are_counted(
    services: Core, settings: Settings, clock: FakeClock
) -> None:
    redis = start_private_redis()
    try:
        own_settings = settings.model_copy(update={"redis_url": redis.url})
        async with _client(own_settings, clock) as api:
            await call(api, "POST", "/api/campaigns", 201, sure_win())
            assert (await api.get("/readyz")).status == 200
            redis.stop()
            resp = await api.get("/readyz")
            assert resp.status == 503
            body = await resp.json()
            assert body["status"] == "not ready"
            assert body["checks"]["redis"] == "unavailable"
            assert body["checks"]["postgres"] == "ok"
            await call(api, "POST", "/api/draws", 201, {"phone": "+85291234567"})
            await call(
                api, "POST", "/api/draws", 409, {"phone": "+85291234567"}
            )  # PG still says no
            assert (await _metrics(api))[("luckydraw_redis_fallbacks_total", ())] >= 1
    finally:
        redis.stop()


async def test_readyz_is_503_until_migrations_are_applied(
    settings: Settings, server_urls: tuple[str, str], clock: FakeClock
) -> None:
    async with empty_database(server_urls[0]) as url:
        empty = settings.model_copy(update={"database_url": url})
        async with _client(empty, clock) as api:
            resp = await api.get("/readyz")
            assert resp.status == 503
            assert (await resp.json())["checks"]["migrations"].startswith("pending: 001_core.sql")


async def test_metrics_count_requests_by_route_template_and_draws_coupons_redemptions(
    api: Client,
) -> None:
    before = await _metrics(api)
    cid = (await call(api, "POST", "/api/campaigns", 201, sure_win(total=2, daily=2)))["id"]
    await call(api, "POST", "/api/staff", 201, {"phone": "+85261234567"})
    codes = []
    for n in range(3):
        body = await call(api, "POST", "/api/draws", 201, {"phone": f"+8529123456{n}"})
        codes.append(body["code"])
    await call(api, "POST", "/api/draws", 409, {"phone": "+85291234560"})
    await call(
        api, "POST", "/api/redemptions", 200, {"code": codes[0], "staff_phone": "+85261234567"}
    )
    await call(
        api, "POST", "/api/redemptions", 409, {"code": codes[0], "staff_phone": "+85261234567"}
    )
    for _ in range(2):
        await call(api, "GET", f"/api/campaigns/{cid}", 200)
    await call(api, "GET", "/api/campaigns/424242", 404)
    await api.get("/no/such/page")
    after = await _metrics(api)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    item = {"method": "GET", "route": "/api/campaigns/{campaign_id}"}
    assert delta("luckydraw_http_requests_total", **item, status="200") == 2
    assert delta("luckydraw_http_requests_total", **item, status="404") == 1
    assert delta("luckydraw_http_request_duration_seconds_count", **item) == 3
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert delta("luckydraw_http_requests_total", **unmatched) == 1
    assert not [k for k in after if "424242" in str(k) or "no/such" in str(k)]  # no raw paths

    assert delta("luckydraw_draws_total", channel="api", outcome="won") == 2
    assert delta("luckydraw_draws_total", channel="api", outcome="sold_out") == 1
    assert delta("luckydraw_draws_total", channel="api", outcome="already_drew") == 1
    assert delta("luckydraw_coupons_issued_total") == 2
    assert delta("luckydraw_redemptions_total", status="redeemed") == 1
    assert delta("luckydraw_redemptions_total", status="already_redeemed") == 1
    assert delta("luckydraw_coupons_redeemed_total") == 1
    assert after[("luckydraw_outbox_depth", ())] == 2  # the two coupons, queued for delivery
    assert ("luckydraw_redis_fallbacks_total", ()) in after
