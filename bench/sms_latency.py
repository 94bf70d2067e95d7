"""Latency of a signed DRAW webhook against a running `luckydraw serve` (starts nothing itself).

Each request is a new phone (one draw a day each) with a new MessageSid, signed exactly as
Twilio signs. Runs at concurrency 1 and 64 for a few seconds each; prints median and p99.

    TWILIO_AUTH_TOKEN=... PUBLIC_BASE_URL=http://127.0.0.1:8080 \\
        python -m bench.sms_latency --url http://127.0.0.1:8080 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import phonenumbers
from twilio.request_validator import RequestValidator

from bench.common import RESULTS, summarise

PATH = "/sms/inbound"


def phones() -> itertools.count[int]:
    """A fresh random block of Hong Kong mobile numbers per run (8 digits, from 5100 0000)."""
    return itertools.count(random.randrange(51_000_000, 98_000_000, 1_000_000))


def valid_phone(numbers: itertools.count[int]) -> str:
    while True:
        candidate = f"+852{next(numbers)}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate)):
            return candidate


async def run(
    url: str, public_base: str, token: str, concurrency: int, seconds: float
) -> dict[str, Any]:
    validator = RequestValidator(token)
    signed_url = public_base.rstrip("/") + PATH
    numbers = phones()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)

    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                params = {
                    "MessageSid": "SM" + secrets.token_hex(16),
                    "AccountSid": "AC" + "0" * 32,
                    "From": valid_phone(numbers),
                    "To": "+85230001234",
                    "Body": "DRAW",
                    "NumMedia": "0",
                }
                headers = {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Twilio-Signature": validator.compute_signature(signed_url, params),
                }
                started = time.perf_counter()
                async with session.post(
                    url.rstrip("/") + PATH, data=urlencode(params), headers=headers
                ) as response:
                    text = await response.text()
                elapsed = time.perf_counter() - started
                if response.status != 200 or "<Message>" not in text:
                    errors += 1
                else:
                    latencies.append(elapsed)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        total = time.perf_counter() - began
    return {"concurrency": concurrency, **summarise(latencies, total, errors)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--public-base-url", default=os.environ.get("PUBLIC_BASE_URL"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", default="1,64")
    parser.add_argument("--out", type=Path, default=RESULTS / "sms_latency.json")
    args = parser.parse_args()
    token = os.environ.get("TWILIO_AUTH_TOKEN")
    if not token:
        raise SystemExit("TWILIO_AUTH_TOKEN must be the server's")
    results = []
    for concurrency in (int(c) for c in args.concurrency.split(",")):
        result = await run(
            args.url, args.public_base_url or args.url, token, concurrency, args.seconds
        )
        print(
            f"concurrency {concurrency:>3}: {result['requests']} draws, "
            f"{result['per_second']}/s, median {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
            f"errors {result['errors']}"
        )
        results.append(result)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "bench": "signed DRAW webhook, POST /sms/inbound, one `luckydraw serve` process",
        "load_average_after": os.getloadavg(),  # other work on the machine skews the numbers
        "cpus": os.cpu_count(),
        "runs": results,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
