"""deploy/: the alert rules and the Grafana dashboard are valid, and every metric and label they
name is one a running service actually exports on GET /metrics."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from app.bootstrap import Core
from app.channels import open_channels
from app.outbox_wiring import build_outbox_jobs
from app.settings import Settings
from tests.api.conftest import Client, call
from tests.helpers import spec, sure_win

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "luckydraw.json"
# Labels Prometheus adds at scrape time, and the histogram's bucket label.
SCRAPE_LABELS = {"instance", "job", "le"}
METRIC = re.compile(r"\b(luckydraw_[a-z0-9_]+)\b")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
MATCHERS = re.compile(r"\b(luckydraw_[a-z0-9_]+)\{([^}]*)\}")

# The parts of Grafana's dashboard model this dashboard relies on.
DASHBOARD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["title", "uid", "schemaVersion", "panels", "templating"],
    "properties": {
        "uid": {"type": "string", "pattern": "^[a-zA-Z0-9_-]{1,40}$"},
        "schemaVersion": {"type": "integer", "minimum": 36},
        "panels": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["id", "type", "title", "gridPos"],
                "properties": {
                    "id": {"type": "integer"},
                    "type": {"enum": ["row", "stat", "timeseries", "bargauge", "gauge", "table"]},
                    "gridPos": {
                        "type": "object",
                        "required": ["x", "y", "w", "h"],
                        "properties": {
                            "x": {"type": "integer", "minimum": 0, "maximum": 23},
                            "w": {"type": "integer", "minimum": 1, "maximum": 24},
                        },
                    },
                    "datasource": {"$ref": "#/$defs/datasource"},
                    "targets": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["refId", "expr", "datasource"],
                            "properties": {
                                "expr": {"type": "string", "minLength": 1},
                                "datasource": {"$ref": "#/$defs/datasource"},
                            },
                        },
                    },
                },
                "if": {"properties": {"type": {"not": {"const": "row"}}}},
                "then": {"required": ["targets", "datasource"]},
            },
        },
    },
    "$defs": {
        "datasource": {
            "type": "object",
            "required": ["type", "uid"],
            "properties": {"type": {"const": "prometheus"}, "uid": {"const": "${datasource}"}},
        }
    },
}


def _dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return data


def _dashboard_queries() -> list[str]:
    return [t["expr"] for p in _dashboard()["panels"] for t in p.get("targets", [])]


def _alert_queries() -> list[str]:
    rules = yaml.safe_load(ALERTS.read_text())["groups"][0]["rules"]
    return [rule["expr"] for rule in rules]


def _promtool(*args: str) -> str:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is missing: apt-get install prometheus (.ci/run does)"
    done = subprocess.run(
        [promtool, *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_alert_rules_are_valid_and_their_unit_tests_pass() -> None:
    assert "SUCCESS: 7 rules found" in _promtool("check", "rules", str(ALERTS))
    _promtool("test", "rules", str(DEPLOY / "prometheus" / "alerts.test.yml"))
    _promtool("check", "config", str(DEPLOY / "prometheus" / "prometheus.yml"))


def test_the_dashboard_fits_grafanas_model_and_its_queries_parse(tmp_path: Path) -> None:
    dashboard = _dashboard()
    jsonschema.validate(dashboard, DASHBOARD_SCHEMA)
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    # promtool parses PromQL in recording rules: one per query, Grafana's macro made concrete.
    rules = [
        {"record": f"dashboard:query_{i}", "expr": q.replace("$__rate_interval", "1m")}
        for i, q in enumerate(_dashboard_queries())
    ]
    queries = tmp_path / "dashboard_queries.yml"
    queries.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    assert f"SUCCESS: {len(rules)} rules found" in _promtool("check", "rules", str(queries))


def test_a_broken_query_would_be_caught(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    rule = {
        "record": "dashboard:broken",
        "expr": "sum by (outcome (rate(luckydraw_draws_total[1m]))",
    }
    broken.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [rule]}]}))
    with pytest.raises(AssertionError, match="parse error"):
        _promtool("check", "rules", str(broken))


@pytest.fixture
async def exported(services: Core, settings: Settings, api: Client) -> dict[str, set[str]]:
    """Sample name -> label names, from GET /metrics of a service that has seen some traffic."""
    campaign = await services.campaigns.create(spec(sure_win()))
    body = {"campaign_id": campaign.id, "phone": "+85291234567"}
    await call(api, "POST", "/api/draws", 201, body)
    async with open_channels(settings, services) as channels:
        outbox = build_outbox_jobs(settings, services, channels.senders)
        await outbox.dispatcher.tick()  # the won code: not sent (never texted us), counted
    await call(api, "POST", "/api/staff", 201, {"phone": "+85261234567", "name": "Till 1"})
    redeem = {"code": "AAAAA-AAAAA", "staff_phone": "+85261234567"}
    await call(api, "POST", "/api/redemptions", 404, redeem)
    resp = await api.get("/metrics")
    assert resp.status == 200
    found: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(await resp.text()):
        for name in _sample_names(family.name, family.type):
            found.setdefault(name, set())
        for sample in family.samples:
            found.setdefault(sample.name, set()).update(sample.labels)
    return found


def _sample_names(family: str, kind: str) -> Iterator[str]:
    """The series names a family may have even before it has samples."""
    suffixes = {
        "counter": ("_total", "_created"),
        "histogram": ("_bucket", "_sum", "_count", "_created"),
        "summary": ("_sum", "_count", "_created"),
    }.get(kind, ("",))
    return (family + suffix for suffix in suffixes)


def _unknown(queries: list[str], exported: dict[str, set[str]]) -> list[str]:
    problems = []
    for query in queries:
        names = set(METRIC.findall(query))
        if not names:
            problems.append(f"names no luckydraw metric: {query}")
        problems += [f"{n} is not exported" for n in names - exported.keys()]
        labels = set().union(*(exported.get(n, set()) for n in names)) | SCRAPE_LABELS
        used = {label.strip() for group in GROUPING.findall(query) for label in group.split(",")}
        for _metric, matchers in MATCHERS.findall(query):
            used |= {m.split("=")[0].strip("!~ ") for m in matchers.split(",")}
        problems += [f"label {label} is on none of {sorted(names)}" for label in used - labels]
    return problems


async def test_every_dashboard_query_names_exported_metrics_and_labels(
    exported: dict[str, set[str]],
) -> None:
    assert _unknown(_dashboard_queries(), exported) == []
    panels = " ".join(_dashboard_queries())
    for series in (  # what the dashboard is for
        "luckydraw_draws_total",
        "luckydraw_http_request_duration_seconds_bucket",
        "luckydraw_prize_issued",
        "luckydraw_prize_quota",
        "luckydraw_outbox_depth",
        "luckydraw_outbox_dead",
        "luckydraw_messages_sent_total",
        "luckydraw_redis_fallbacks_total",
    ):
        assert series in panels


async def test_every_alert_names_exported_metrics_and_labels(
    exported: dict[str, set[str]],
) -> None:
    assert _unknown([q for q in _alert_queries() if "luckydraw_" in q], exported) == []


async def test_a_misnamed_metric_or_label_would_be_caught(exported: dict[str, set[str]]) -> None:
    assert _unknown(["sum(rate(luckydraw_draw_total[5m]))"], exported) == [
        "luckydraw_draw_total is not exported"
    ]
    assert _unknown(['luckydraw_prize_issued{perod="day"}'], exported) == [
        "label perod is on none of ['luckydraw_prize_issued']"
    ]
