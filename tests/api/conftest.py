"""The whole app (create_app) in a test server, and helpers to speak to its admin API."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core
from app.openapi import ErrorOut
from app.server import create_app
from app.settings import Settings
from db.pool import on_database

AUTH = {"Authorization": "Bearer test-admin-token-0123456789abcdef"}
Client = TestClient[web.Request, web.Application]


@pytest.fixture
async def api(services: Core, settings: Settings) -> AsyncIterator[Client]:
    async with TestClient(TestServer(create_app(settings, services))) as client:
        yield client


async def call(
    api: Client, method: str, path: str, status: int, body: Any = None, **kwargs: Any
) -> Any:
    """Send with the admin token; assert the status; answer the JSON body (None if empty)."""
    resp = await api.request(method, path, json=body, headers=AUTH, **kwargs)
    text = await resp.text()
    assert resp.status == status, text
    if not text:
        return None
    assert resp.content_type == "application/json"
    return await resp.json()


async def error(api: Client, method: str, path: str, status: int, body: Any = None) -> Any:
    """The `error` object of a refusal, checked against the documented ErrorOut."""
    payload = await call(api, method, path, status, body)
    return ErrorOut.model_validate(payload).error


@asynccontextmanager
async def empty_database(admin_url: str) -> AsyncIterator[str]:
    """A new, empty database on the test server (URL), dropped afterwards."""
    name = f"ld_test_empty_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield on_database(admin_url, name)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()
