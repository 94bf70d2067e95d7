"""The floor under a draw's server CPU: what the libraries alone cost per request here.

    .venv/bin/python -m bench.floor [--seconds 8] [--concurrency 64]

A bare aiohttp app on uvloop (one process, access log off, nothing of ours) answers the same
signed webhooks `bench.load` sends, in three layers, each with the one before it:
`http` reads the form and answers a fixed TwiML; `redis` adds one EVALSHA per request
through redis-py; `postgres` adds one asyncpg `fetchrow` per request (a prepared
`SELECT $1`, through the service's pool settings). Their CPU per request, next to
PostgreSQL's per draw in `make bench`, says how much of the service's cost no change of ours
can remove. Writes bench/results/floor.json.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import uvloop
from aiohttp import web

from bench.common import ADMIN_URL, REDIS_URL, cpu_seconds, save, summarise
from bench.load import Requests, fire, phone, signed_sms, wait_ready
from db.pool import create_pool

LAYERS = ("http", "redis", "postgres")
TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hi</Message></Response>'
SCRIPT = "local n = redis.call('INCR', KEYS[1]) return {n, redis.call('HGET', KEYS[2], 'f')}"


async def _serve(layer: str, port: int) -> None:
    depth = LAYERS.index(layer)
    client = aioredis.Redis.from_url(REDIS_URL) if depth >= 1 else None
    script = client.register_script(SCRIPT) if client is not None else None
    # Our pool (db/pool.py): asyncpg's with its reset query off, as the service runs it.
    pool = await create_pool(ADMIN_URL, min_size=4, max_size=8) if depth >= 2 else None

    async def inbound(request: web.Request) -> web.Response:
        form = await request.post()
        sender = str(form["From"])
        if script is not None:
            await script(keys=[f"floor:{{{sender}}}", f"floor:d:{{{sender}}}"])
        if pool is not None:
            await pool.fetchrow("SELECT $1::text AS phone", sender)
        return web.Response(text=TWIML, content_type="application/xml")

    app = web.Application()
    app.router.add_post("/sms/inbound", inbound)
    app.router.add_get("/readyz", lambda _: web.json_response({"status": "ready"}))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Event().wait()


async def _measure(layer: str, port: int, seconds: float, concurrency: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "bench.floor", "--serve", layer, "--port", str(port)]
    server = subprocess.Popen(command)  # noqa: ASYNC220 - started once, before the timing
    try:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            await wait_ready(session, base)
            count = int(6000 * seconds)
            requests = Requests([signed_sms(base, phone(i), "DRAW") for i in range(count)])
            before = cpu_seconds(server.pid)
            tally, elapsed = await fire(session, base, requests, concurrency, seconds)
            used = cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait(timeout=30)
    result = summarise(tally.latencies, elapsed, tally.errors)
    return result | {"server_cpu_ms_per_request": round(1000 * used / result["requests"], 3)}


async def measure_all(seconds: float, concurrency: int, port: int) -> dict[str, Any]:
    layers = {}
    for layer in LAYERS:
        layers[layer] = await _measure(layer, port, seconds, concurrency)
        print(layer, layers[layer]["server_cpu_ms_per_request"], "ms/request", flush=True)
        await asyncio.sleep(1)
    return {"concurrency": concurrency, "seconds": seconds, "layers": layers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--port", type=int, default=18090)
    parser.add_argument("--serve", choices=LAYERS, help=argparse.SUPPRESS)  # the child
    args = parser.parse_args()
    if args.serve:
        uvloop.run(_serve(args.serve, args.port))
        return
    result = uvloop.run(measure_all(args.seconds, args.concurrency, args.port))
    print(save("floor", result))


if __name__ == "__main__":
    main()
