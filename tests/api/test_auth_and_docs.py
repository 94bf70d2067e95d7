"""The admin token guards every /api path; the document and Swagger UI are public and offline."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from app.api import build_spec
from app.bootstrap import Core
from app.openapi import ErrorOut
from app.server import create_app
from app.settings import Settings
from tests.api.conftest import Client

SAMPLE = {"campaign_id": "1", "phone": "%2B85291234567"}
ROUTES = [
    (r.method, re.sub(r"\{(\w+)(:[^}]*\})?\}?", lambda m: SAMPLE[m[1]], r.path))
    for r in build_spec().routes
]


async def test_without_the_right_token_every_api_path_is_401(api: Client) -> None:
    for method, path in [*ROUTES, ("GET", "/api"), ("GET", "/api/nothing")]:
        for authorization in (
            None,
            "Bearer wrong-token",
            "test-admin-token-0123456789abcdef",
            "Basic dGVzdA==",
        ):
            headers = {"Authorization": authorization} if authorization else {}
            resp = await api.request(method, path, headers=headers, json={})
            assert resp.status == 401, (method, path, authorization)
            assert resp.headers["WWW-Authenticate"].startswith("Bearer")
            err = ErrorOut.model_validate(await resp.json()).error
            assert err.code == "unauthorized"


async def test_the_bearer_scheme_is_case_insensitive(api: Client) -> None:
    resp = await api.get(
        "/api/campaigns", headers={"Authorization": "bearer test-admin-token-0123456789abcdef"}
    )
    assert resp.status == 200


async def test_an_unknown_api_path_with_the_token_is_a_json_404(api: Client) -> None:
    resp = await api.get(
        "/api/nothing", headers={"Authorization": "Bearer test-admin-token-0123456789abcdef"}
    )
    assert resp.status == 404
    assert ErrorOut.model_validate(await resp.json()).error.code == "not_found"
    resp = await api.put(
        "/api/campaigns", headers={"Authorization": "Bearer test-admin-token-0123456789abcdef"}
    )
    assert resp.status == 405
    assert ErrorOut.model_validate(await resp.json()).error.code == "method_not_allowed"


async def test_without_an_admin_token_configured_the_api_is_disabled(
    services: Core, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"admin_token": None}), services)
    async with TestClient(TestServer(app)) as client:
        resp = await client.get("/api/campaigns", headers={"Authorization": "Bearer "})
        assert resp.status == 503
        assert ErrorOut.model_validate(await resp.json()).error.code == "disabled"
        assert (await client.get("/api/openapi.json")).status == 200
        assert (await client.get("/healthz")).status == 200


async def test_the_openapi_document_is_public_and_valid(api: Client) -> None:
    resp = await api.get("/api/openapi.json")
    assert resp.status == 200
    doc = await resp.json()
    validate(doc, cls=OpenAPIV31SpecValidator)
    assert doc == build_spec().document()
    assert set(doc["paths"]) == {
        "/api/campaigns",
        "/api/campaigns/{campaign_id}",
        "/api/campaigns/{campaign_id}/pause",
        "/api/campaigns/{campaign_id}/commitment",
        "/api/campaigns/{campaign_id}/resume",
        "/api/campaigns/{campaign_id}/end",
        "/api/campaigns/{campaign_id}/stats",
        "/api/campaigns/{campaign_id}/winners",
        "/api/campaigns/{campaign_id}/audit",
        "/api/customers",
        "/api/customers/{phone}",
        "/api/draws",
        "/api/redemptions",
        "/api/staff",
        "/api/staff/{phone}",
    }
    winners = doc["paths"]["/api/campaigns/{campaign_id}/winners"]["get"]
    assert set(winners["responses"]["200"]["content"]) == {"text/csv"}
    create = doc["paths"]["/api/campaigns"]["post"]["requestBody"]["content"]
    assert create["application/json"]["schema"] == {"$ref": "#/components/schemas/CampaignIn"}


def test_every_api_route_of_the_app_is_documented(services: Core, settings: Settings) -> None:
    app = create_app(settings, services)
    documented = {
        (m.upper(), p) for p, ops in build_spec().document()["paths"].items() for m in ops
    }
    served = set()
    for resource in app.router.resources():
        path = re.sub(r"\{(\w+):[^}]*\}?\}", r"{\1}", resource.canonical)
        if not path.startswith("/api/") or path.startswith(("/api/docs", "/api/openapi")):
            continue
        served |= {(route.method, path) for route in resource if route.method != "HEAD"}
    assert served == documented


_ABSOLUTE = re.compile(r"(?:https?:)?//([^/\s\"'<>]+)")


async def test_swagger_ui_is_public_and_references_no_other_host(api: Client) -> None:
    resp = await api.get("/api/docs")
    assert resp.status == 200
    page = await resp.text()
    assert "default-src 'self'" in resp.headers["Content-Security-Policy"]
    refs = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(ref.endswith("swagger-ui-bundle.js") for ref in refs)
    for ref in refs:
        assert ref.startswith("/api/docs/"), ref
        asset = await api.get(ref)
        assert asset.status == 200, ref
        if ref.endswith(".js") and not ref.endswith("bundle.js"):
            text = await asset.text()
            assert '"/api/openapi.json"' in text
            assert not set(_ABSOLUTE.findall(text)) - {"127.0.0.1", "localhost"}
    assert not _ABSOLUTE.findall(page)
    init = await (await api.get("/api/docs/init.js")).text()
    assert "validatorUrl: null" in init  # else Swagger UI loads a badge from swagger.io


@pytest.mark.parametrize(
    "path", ["/api/docs/static/swagger-initializer.js", "/api/docs/static/..%2F__init__.py"]
)
async def test_swagger_ui_serves_only_the_files_its_page_loads(api: Client, path: str) -> None:
    assert (await api.get(path)).status == 404
