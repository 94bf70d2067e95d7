"""app.openapi: document validity, Swagger UI without CDN, parse_body errors, schemathesis.

A tiny demo app (campaigns: create / list with query / get by path id) exercises the layer.
Schemathesis runs against a real aiohttp server on 127.0.0.1:<random port> in a background
thread: its pytest tests are synchronous and call over HTTP with `requests`, and
`from_asgi`/`from_wsgi` don't apply to aiohttp.
"""

import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from hypothesis import HealthCheck, settings
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from pydantic import BaseModel, ConfigDict, Field
from schemathesis.config import SchemathesisConfig

from app.openapi import (
    ApiError,
    ApiSpec,
    ErrorOut,
    error_middleware,
    json_response,
    parse_body,
    parse_path,
    parse_query,
)

TOKEN = "demo-token"
# Comfortably above the largest schema-valid body (5 prizes, 80+5*40 chars, each char up to a
# 12-byte \uXXXX\uXXXX escape), else schemathesis rightly reports valid data rejected with 413.
MAX_BODY = 16384


class PrizeIn(BaseModel):
    # extra="forbid" -> additionalProperties: false: typos are 400s, and schemathesis stops
    # padding "valid" bodies with arbitrary extra keys.
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)
    probability: float = Field(ge=0, le=1)


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    prizes: list[PrizeIn] = Field(min_length=1, max_length=5)


class CampaignOut(CampaignIn):
    id: int


class ListQuery(BaseModel):
    limit: int = Field(default=10, ge=1, le=50, description="Page size")
    name: str | None = Field(default=None, max_length=80, description="Exact name filter")


CAMPAIGNS: dict[int, CampaignOut] = {}
_lock = threading.Lock()  # handlers run in the server thread, tests read from the main one


def _require_token(request: web.Request) -> None:
    if request.headers.get("Authorization") != f"Bearer {TOKEN}":
        raise ApiError(401, "missing or invalid bearer token", code="unauthorized")


async def create_campaign(request: web.Request) -> web.Response:
    """Create a campaign with its prize table."""
    _require_token(request)
    data = await parse_body(request, CampaignIn, MAX_BODY)
    with _lock:
        out = CampaignOut(id=len(CAMPAIGNS) + 1, **data.model_dump())
        CAMPAIGNS[out.id] = out
    return json_response(out, status=201)


async def list_campaigns(request: web.Request) -> web.Response:
    q = parse_query(request, ListQuery)
    with _lock:
        items = [c for c in CAMPAIGNS.values() if q.name is None or c.name == q.name]
    return json_response(items[: q.limit])


async def get_campaign(request: web.Request) -> web.Response:
    _require_token(request)
    with _lock:
        found = CAMPAIGNS.get(int(request.match_info["campaign_id"]))
    if found is None:
        raise ApiError(404, "no such campaign", code="not_found", field="campaign_id")
    return json_response(found)


spec = ApiSpec("Demo", "0.1.0")
spec.route(
    "POST",
    "/api/campaigns",
    create_campaign,
    body=CampaignIn,
    responses={201: CampaignOut},
    summary="Create a campaign",
    tags=["campaigns"],
)
spec.route(
    "GET",
    "/api/campaigns",
    list_campaigns,
    query=ListQuery,
    responses={200: list[CampaignOut]},
    summary="List campaigns",
    tags=["campaigns"],
    auth=False,
)
spec.route(
    "GET",
    r"/api/campaigns/{campaign_id:\d+}",
    get_campaign,
    responses={200: CampaignOut, 404: ErrorOut},
    summary="Get a campaign",
    tags=["campaigns"],
)


def make_app() -> web.Application:
    app = web.Application(middlewares=[error_middleware])
    spec.register(app, servers=["/"])
    return app


@pytest.fixture
async def client() -> AsyncIterator[TestClient[web.Request, web.Application]]:
    async with TestClient(TestServer(make_app())) as c:
        yield c


# ------------------------------------------------------------------ document


def test_document_is_valid_openapi_31() -> None:
    doc = spec.document()
    validate(doc, cls=OpenAPIV31SpecValidator)
    assert doc["openapi"] == "3.1.0"
    schemas = doc["components"]["schemas"]
    assert {"CampaignIn", "CampaignOut", "PrizeIn", "ListQuery", "ErrorOut", "ErrorDetail"} <= set(
        schemas
    )
    ops = doc["paths"]
    create = ops["/api/campaigns"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CampaignIn"
    }
    # Errors the layer raises are documented without being declared.
    assert {"201", "400", "401", "413", "415"} == set(create["responses"])
    assert create["security"] == [{"bearerAuth": []}]
    listing = ops["/api/campaigns"]["get"]
    assert listing["security"] == []
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/CampaignOut"},
    }
    params = {p["name"]: p for p in listing["parameters"]}
    assert params["limit"]["in"] == "query"
    assert params["limit"]["required"] is False
    assert params["limit"]["schema"]["maximum"] == 50
    by_id = ops["/api/campaigns/{campaign_id}"]["get"]  # aiohttp regex stripped from the path
    assert by_id["parameters"] == [
        {
            "name": "campaign_id",
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0},
        }
    ]
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_path_model_and_declaration_errors() -> None:
    class Slug(BaseModel):
        slug: str = Field(pattern=r"^[a-z-]{1,20}$")

    async def show(_: web.Request) -> web.Response:
        return web.Response()

    s = ApiSpec("t", "1")
    s.route("GET", "/p/{slug}", show, path_params=Slug, responses={204: None}, auth=False)
    doc = s.document(servers=["https://api.example.test"])
    validate(doc, cls=OpenAPIV31SpecValidator)
    op = doc["paths"]["/p/{slug}"]["get"]
    assert op["parameters"][0]["schema"]["pattern"] == "^[a-z-]{1,20}$"
    assert "content" not in op["responses"]["204"]
    assert doc["servers"] == [{"url": "https://api.example.test"}]
    with pytest.raises(ValueError, match="duplicate operationId"):
        s.route("GET", "/q", show, responses={204: None})
    with pytest.raises(ValueError, match="placeholders"):
        s.route("GET", "/r/{x}", show, path_params=Slug, responses={204: None}, operation_id="r")
    with pytest.raises(TypeError, match="expected a model"):
        s.route("GET", "/s", show, responses={200: dict}, operation_id="s")


async def test_openapi_json_is_served_publicly(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/api/openapi.json")
    assert resp.status == 200
    assert await resp.json() == json.loads(json.dumps(spec.document(servers=["/"])))


# ---------------------------------------------------------------- swagger ui

_ABSOLUTE = re.compile(r"(?:https?:)?//([^/\s\"'<>]+)")


async def test_docs_page_uses_only_local_assets(client: TestClient[Any, Any]) -> None:
    resp = await client.get("/api/docs")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    page = await resp.text()
    # The browser enforces it too: CSP allows no host other than our own.
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "http" not in csp

    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert refs
    init_js = ""
    for ref in refs:
        assert ref.startswith("/api/docs/"), ref  # relative to our origin
        asset = await client.get(ref)
        assert asset.status == 200, ref
        if ref.endswith("init.js"):
            init_js = await asset.text()
    assert '"/api/openapi.json"' in init_js
    # Without this Swagger UI loads a badge from validator.swagger.io.
    assert "validatorUrl: null" in init_js
    for text in (page, init_js):
        hosts = set(_ABSOLUTE.findall(text))
        assert hosts <= {"127.0.0.1", "localhost"}, hosts

    # Only the allow-listed assets are exposed (not the petstore initializer / editor).
    assert (await client.get("/api/docs/static/swagger-initializer.js")).status == 404
    assert (await client.get("/api/docs/static/..%2F__init__.py")).status == 404


# ---------------------------------------------------------------- parse_body

AUTH = {"Authorization": f"Bearer {TOKEN}"}
GOOD = {"name": "Spring", "prizes": [{"name": "Mug", "probability": 0.25}]}


async def _error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status == status, await resp.text()
    assert resp.content_type == "application/json"
    body = await resp.json()
    ErrorOut.model_validate(body)  # shape matches the documented model
    return dict(body["error"])


async def test_parse_body_accepts_valid_json(client: TestClient[Any, Any]) -> None:
    resp = await client.post("/api/campaigns", json=GOOD, headers=AUTH)
    assert resp.status == 201
    body = await resp.json()
    assert CampaignOut.model_validate(body).name == "Spring"


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {**GOOD, "prizes": [{"name": "Mug", "probability": 2}]},
            "prizes.0.probability",
            "less than or equal to 1",
        ),
        ({"prizes": GOOD["prizes"]}, "name", "Field required"),
        ({**GOOD, "prizes": []}, "prizes", "at least 1 item"),
        ([GOOD], None, "should be an object"),
    ],
)
async def test_parse_body_validation_error_names_field(
    client: TestClient[Any, Any], payload: Any, field: str | None, message: str
) -> None:
    err = await _error(await client.post("/api/campaigns", json=payload, headers=AUTH), 400)
    assert err["code"] == "invalid"
    assert err["field"] == field
    assert message in err["message"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [(b'{"name": "Spring",', "invalid JSON"), (b'{"name": "\xff"}', "not valid UTF-8")],
)
async def test_parse_body_rejects_bad_bytes(
    client: TestClient[Any, Any], raw: bytes, message: str
) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    err = await _error(await client.post("/api/campaigns", data=raw, headers=headers), 400)
    assert message in err["message"]
    assert err["field"] is None


async def test_parse_body_too_large(client: TestClient[Any, Any]) -> None:
    big = {**GOOD, "name": "x" * MAX_BODY}
    err = await _error(await client.post("/api/campaigns", json=big, headers=AUTH), 413)
    assert err["code"] == "too_large"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: limit enforced while reading
        for _ in range(MAX_BODY // 100 + 2):
            yield b" " * 100

    headers = {**AUTH, "Content-Type": "application/json"}
    resp = await client.post("/api/campaigns", data=chunks(), headers=headers)
    assert (await _error(resp, 413))["code"] == "too_large"


async def test_parse_body_wrong_content_type(client: TestClient[Any, Any]) -> None:
    headers = {**AUTH, "Content-Type": "text/plain"}
    resp = await client.post("/api/campaigns", data=json.dumps(GOOD), headers=headers)
    err = await _error(resp, 415)
    assert err == {
        "code": "unsupported_media_type",
        "message": "Content-Type must be application/json",
        "field": None,
    }


async def test_query_and_path_errors(client: TestClient[Any, Any]) -> None:
    err = await _error(await client.get("/api/campaigns?limit=0"), 400)
    assert err["field"] == "limit"
    assert (await client.get("/api/campaigns?limit=2")).status == 200
    err = await _error(await client.get("/api/campaigns/999999", headers=AUTH), 404)
    assert err["field"] == "campaign_id"
    assert (await _error(await client.get("/api/campaigns/1"), 401))["code"] == "unauthorized"


def test_parse_query_lists_and_parse_path() -> None:
    class Q(BaseModel):
        t: list[str] | None = None
        n: int = 1

    class P(BaseModel):
        id: int

    assert parse_query(make_mocked_request("GET", "/x?t=a&t=b&n=3"), Q) == Q(t=["a", "b"], n=3)
    assert parse_path(make_mocked_request("GET", "/x/7", match_info={"id": "7"}), P).id == 7
    with pytest.raises(ApiError) as caught:
        parse_path(make_mocked_request("GET", "/x/a", match_info={"id": "a"}), P)
    assert caught.value.status == 400
    assert json.loads(caught.value.text or "")["error"]["field"] == "id"


async def test_router_errors_are_json(client: TestClient[Any, Any]) -> None:
    # error_middleware: aiohttp's own text/plain 404/405 become the documented ErrorOut.
    assert (await _error(await client.get("/api/campaigns/abc"), 404))["code"] == "not_found"
    resp = await client.delete("/api/campaigns")
    assert (await _error(resp, 405))["code"] == "method_not_allowed"
    assert set(resp.headers["Allow"].split(",")) == {"GET", "POST"}


# ---------------------------------------------------------------- schemathesis


@pytest.fixture(scope="module")
def live_server() -> Iterator[str]:
    """The demo app on 127.0.0.1:<random port>, served from its own loop in a thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(make_app())

    def run(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=10)

    run(runner.setup())
    run(web.TCPSite(runner, "127.0.0.1", 0).start())
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        run(runner.cleanup())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


# The schema is loaded from the in-memory document at import time and the live server's URL is
# passed per call. `schemathesis.pytest.from_fixture` (lazy, load over HTTP from the fixture) would
# be the natural fit but fails on pytest 9.2: schemathesis 4.32.5 reads `request.node._nodeid`,
# which pytest 9.2 removed. test_openapi_json_is_served_publicly covers document == served JSON.
schema = schemathesis.openapi.from_dict(
    spec.document(),
    config=SchemathesisConfig.from_dict(
        {
            "checks": {
                # Defaults + 413: a fuzzed oversize body is rightly refused with 413,
                # which schemathesis does not count as a rejection by default.
                "negative_data_rejection": {
                    "expected-statuses": [
                        *("400", "401", "403", "404", "405", "406", "409"),
                        *("413", "415", "422", "428", "429", "5xx"),
                    ]
                }
            }
        }
    ),
)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],  # real HTTP round-trips per example
)
def test_api_conforms_to_its_document(case: Any, live_server: str) -> None:
    # A valid token, so positive cases reach the handlers; schemathesis' `ignored_auth`
    # check still replays without it and expects a 401.
    case.call_and_validate(base_url=live_server, headers=AUTH)
