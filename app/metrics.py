"""Prometheus metrics: one registry per core container (app.bootstrap), served at GET /metrics.

A registry of our own (not prometheus-client's global one) lets several apps live in one
process, as they do in tests. HTTP requests are labelled by route template, never by raw
path, so /api/customers/{phone} is one series however many phones are looked up.

Under `serve --workers N` every worker writes its values to files in a per-run directory
(prometheus-client's multiprocess mode, switched on by PROMETHEUS_MULTIPROC_DIR before the
workers start), and a scrape of any worker reads them all: the whole process group.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from aiohttp.typedefs import Middleware
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from app.openapi import Handler

UNMATCHED = "unmatched"  # the route label of requests no route matched (404s)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        # prometheus-client picks its value storage from this variable at import; follow it.
        multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self.scraped = self.registry
        if multiprocess_dir:
            self.scraped = CollectorRegistry()
            MultiProcessCollector(self.scraped, path=multiprocess_dir)  # type: ignore[no-untyped-call]
        self.requests = Counter(
            "luckydraw_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "luckydraw_http_request_duration_seconds",
            "Time to answer an HTTP request (streamed bodies included)",
            ["method", "route"],
            registry=r,
        )
        self.draws = Counter(
            "luckydraw_draws",
            "Draw attempts by channel and outcome (won, no_prize, sold_out, replayed, or the"
            " refusal's code, e.g. already_drew)",
            ["channel", "outcome"],
            registry=r,
        )
        self.coupons_issued = Counter(
            "luckydraw_coupons_issued", "Coupons issued by draws", registry=r
        )
        self.redemptions = Counter(
            "luckydraw_redemptions", "Redemption attempts by result", ["status"], registry=r
        )
        self.coupons_redeemed = Counter(
            "luckydraw_coupons_redeemed", "Coupons redeemed by staff", registry=r
        )
        self.coupons_undelivered = Counter(
            "luckydraw_coupons_undelivered",
            "Codes won through the admin API that cannot be sent to their owner, by channel and"
            " reason (never_texted, country, opted_out, blocked)",
            ["channel", "reason"],
            registry=r,
        )
        self.messages_sent = Counter(
            "luckydraw_messages_sent",
            "Outgoing messages by channel and result",
            ["channel", "status"],
            registry=r,
        )
        self.worker_restarts = Gauge(
            "luckydraw_worker_restarts",
            "Workers of serve --workers N started again after one died, since serve started",
            registry=r,
            multiprocess_mode="max",
        )
        self.apologies = Counter(
            "luckydraw_apologies",
            "Inbound messages answered with the apology instead of an answer, by channel and"
            " reason (deadline: the webhook's deadline passed before its draw was sent;"
            " unconfirmed: after, so the draw may have committed; error: a failure)",
            ["channel", "reason"],
            registry=r,
        )
        self.refusals = Counter(
            "luckydraw_refusals",
            "Requests answered with a refusal that says why, by surface (api, console, public,"
            " sms, telegram) and reason (the refusal's code, e.g. csrf, wrong_token, not_found)",
            ["surface", "reason"],
            registry=r,
        )
        self.outbox_depth = Gauge(
            "luckydraw_outbox_depth",
            "Messages waiting in the outbox (read at scrape)",
            registry=r,
            multiprocess_mode="mostrecent",  # every worker reads the same table
        )
        self.redis_fallbacks = Counter(
            "luckydraw_redis_fallbacks",
            "Redis calls answered by their fallback because Redis was unreachable",
            registry=r,
        )
        self.draws_resent = Counter(
            "luckydraw_draws_resent",
            "Draws a group-commit batch did not record and sent again alone, by SQLSTATE"
            " (40P01: a deadlock, 23505: a coupon code clash)",
            ["sqlstate"],
            registry=r,
        )
        self.redis_probes = Counter(
            "luckydraw_redis_probes",
            "Calls let through to Redis after the circuit's pause, by outcome (closed: Redis"
            " answered and the circuit closed; failed: it paused again)",
            ["outcome"],
            registry=r,
        )

    def middleware(self) -> Middleware:
        """Count and time every request by method, route template and status."""

        @web.middleware
        async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            status = 500
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            except asyncio.CancelledError:
                status = 499  # the client went away (nginx's convention)
                raise
            finally:
                route = route_template(request)
                self.requests.labels(request.method, route, str(status)).inc()
                self.latency.labels(request.method, route).observe(time.perf_counter() - started)

        return measure


def route_template(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


class _Snapshot(Collector):
    """Metric families read once for one scrape."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self._families)


def add_metrics(
    app: web.Application,
    metrics: Metrics,
    outbox_depth: Callable[[], Awaitable[int]] | None = None,
    state: Callable[[], Awaitable[list[Metric]]] | None = None,
) -> None:
    """Measure every request, and serve GET /metrics (the outbox depth is queried per scrape,
    and `state` gives families read fresh for each scrape).

    Call it first in create_app: the middleware then times every later one too.
    """
    app.middlewares.append(metrics.middleware())

    async def scrape(_: web.Request) -> web.Response:
        if outbox_depth is not None:
            metrics.outbox_depth.set(await outbox_depth())
        body = await asyncio.to_thread(generate_latest, metrics.scraped)
        if state is not None:
            snapshot = CollectorRegistry(auto_describe=False)
            snapshot.register(_Snapshot(await state()))
            body += await asyncio.to_thread(generate_latest, snapshot)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/metrics", scrape)
