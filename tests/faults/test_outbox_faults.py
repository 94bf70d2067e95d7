"""`luckydraw serve` killed (SIGKILL) or stopped (SIGTERM) while its outbox is sending 200
coupons to the fake Twilio: nothing is lost, and only a kill sends anything twice.

The fake Twilio answers each message after SEND_DELAY, so sends are in flight when the
signal lands; it records every request on arrival (Twilio would have accepted one whose
answer the dead process never read), which is what "sent twice" counts here.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as clock_time
from pathlib import Path

from aiohttp import web

from app.bootstrap import Core, open_core
from core.model import Channel
from tests.fakes.twilio_api import FakeTwilio
from tests.faults.conftest import Served, campaign, fault_settings, serving
from tests.faults.load import AUTH_TOKEN
from tests.faults.servers import PrivatePostgres, PrivateRedis

COUPONS = 200
ACCOUNT_SID = "AC" + "7" * 32
SEND_DELAY = 0.3  # the fake Twilio's answer time
TWILIO_TIMEOUT = 2  # TWILIO_TIMEOUT_SECONDS
LEASE = 10 + TWILIO_TIMEOUT  # OUTBOX_LEASE_SECONDS: the shortest `serve` accepts
IN_FLIGHT_PER_INSTANCE = 20  # DispatchConfig.max_in_flight
WAIT = 60.0  # generous: the machine is shared; nominally each case takes about 20 s


@dataclass(frozen=True)
class Arrived:
    idempotency_token: str | None
    body: str | None


class ArrivalTwilio(FakeTwilio):
    """The fake Twilio, also keeping each message request as it arrives, before its delay:
    Twilio accepts a message it received even if the sender dies before reading the answer."""

    def __init__(self) -> None:
        super().__init__(ACCOUNT_SID, AUTH_TOKEN, delay=SEND_DELAY)
        self.received: list[Arrived] = []

    async def _create_message(self, request: web.Request) -> web.Response:
        body = (await request.post()).get("Body")  # aiohttp keeps the form for the next read
        token = request.headers.get("I-Twilio-Idempotency-Token")
        self.received.append(Arrived(token, body if isinstance(body, str) else None))
        return await super()._create_message(request)


def outbox_env(twilio: FakeTwilio) -> dict[str, str]:
    return {
        "SCHEDULER": "true",
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_FROM": "+85230001234",
        "TWILIO_API_BASE": twilio.base,
        "TWILIO_TIMEOUT_SECONDS": str(TWILIO_TIMEOUT),
        "OUTBOX_LEASE_SECONDS": str(LEASE),
        "SMS_RATE_PER_SECOND": "0",  # no rate: 20 sends in flight all the time
        "SMS_ALLOWED_COUNTRIES": "HK",
        "QUIET_HOURS": "00:00-00:00",  # none: the test may run at any hour
        "SHUTDOWN_GRACE_SECONDS": "0.5",
    }


async def queue_coupons(core: Core) -> dict[str, str]:
    """COUPONS customers who texted us win through the admin API's use cases; answers each
    coupon message's idempotency token (`outbox-<id>`) and body."""
    await core.campaigns.create(campaign(daily_quota=COUPONS, probability=1.0))
    phones = [f"+8529300{i:04d}" for i in range(COUPONS)]
    now = datetime.now(UTC)
    for i, phone in enumerate(phones):  # texted us first: the anti-pumping guard lets it out
        await core.sms_store.begin_inbound(f"SM{i:032x}", phone, "DRAW", now)
    for phone in phones:
        result = await core.draws.draw(phone, Channel.API)
        assert await core.outbox.enqueue_coupon(result)
    rows = await core.pool.fetch("SELECT id, body FROM outbox WHERE kind = 'coupon'")
    assert len(rows) == COUPONS
    return {f"outbox-{r['id']}": r["body"] for r in rows}


@asynccontextmanager
async def coupons_queued(
    database_url: str, redis: PrivateRedis
) -> AsyncIterator[tuple[ArrivalTwilio, Core, dict[str, str]]]:
    """The fake Twilio, the services, and COUPONS coupon messages waiting in the outbox."""
    settings = fault_settings(database_url, redis.url, quiet_hours=(clock_time(0), clock_time(0)))
    async with ArrivalTwilio() as twilio, open_core(settings) as core:
        yield twilio, core, await queue_coupons(core)


@asynccontextmanager
async def sending(
    database_url: str, redis: PrivateRedis, tmp_path: Path, twilio: ArrivalTwilio
) -> AsyncIterator[Served]:
    """A `luckydraw serve` whose outbox has sent 40 messages and is sending more."""
    async with serving(database_url, redis.url, tmp_path, **outbox_env(twilio)) as served:
        await until(lambda: len(twilio.received) >= 40, served, "40 sends")
        yield served


async def restart_until_all_sent(
    database_url: str, redis: PrivateRedis, tmp_path: Path, twilio: ArrivalTwilio, core: Core
) -> float:
    """Seconds a new instance takes, from its start, until every coupon is recorded sent."""
    restarted = time.monotonic()
    async with serving(database_url, redis.url, tmp_path, **outbox_env(twilio)) as second:
        await until(
            lambda: _all_sent(core), second, f"all {COUPONS} coupons sent after the restart"
        )
        return time.monotonic() - restarted  # before its shutdown, which is not the drain


async def until(done: Callable[[], object], served: Served, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not await _result(done()):
        assert served.process.poll() is None, served.output()
        assert time.monotonic() < deadline, f"{what} not within {WAIT} s:\n{served.output()}"
        await asyncio.sleep(0.05)


async def _result(value: object) -> object:
    return await value if asyncio.iscoroutine(value) else value


async def sent_tokens(core: Core) -> set[str]:
    rows = await core.pool.fetch("SELECT id FROM outbox WHERE status = 'sent'")
    return {f"outbox-{r['id']}" for r in rows}


def tokens_by_body(twilio: ArrivalTwilio) -> dict[str | None, set[str | None]]:
    tokens: defaultdict[str | None, set[str | None]] = defaultdict(set)
    for request in twilio.received:
        tokens[request.body].add(request.idempotency_token)
    return tokens


def report(fault: str, **figures: object) -> None:
    """Figures for README's "Reliability", like conftest.report (measured, never asserted)."""
    path = os.environ.get("FAULTS_REPORT")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"fault": fault, **figures}) + "\n")


async def test_an_outbox_killed_mid_dispatch_loses_nothing_and_resends_only_its_sends_in_flight(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis, tmp_path: Path
) -> None:
    async with coupons_queued(database_url, redis) as (twilio, core, coupons):
        async with sending(database_url, redis, tmp_path, twilio) as first:
            first.process.kill()
            await asyncio.to_thread(first.process.wait)
        await asyncio.sleep(0.5)  # a request already on the wire still arrives
        # In flight at the kill: the provider has it, the outbox has not recorded it.
        in_flight = {r.idempotency_token for r in twilio.received} - await sent_tokens(core)

        drained = await restart_until_all_sent(database_url, redis, tmp_path, twilio, core)

        assert {m.body for m in twilio.messages} == set(coupons.values())  # nothing lost
        copies = Counter(r.idempotency_token for r in twilio.received)
        duplicates = {token for token, n in copies.items() if n > 1}
        assert duplicates <= in_flight  # only what the kill left unrecorded went out again
        assert len(in_flight) <= IN_FLIGHT_PER_INSTANCE
        # Every copy of a message carries its first attempt's token: Twilio drops the copy.
        assert tokens_by_body(twilio) == {body: {token} for token, body in coupons.items()}
        report(
            "outbox SIGKILLed mid-dispatch",
            coupons=COUPONS,
            in_flight_at_kill=len(in_flight),
            sent_twice=len(duplicates),
            drained_after_restart_seconds=round(drained, 1),
            lease_seconds=LEASE,
        )


async def test_an_outbox_stopped_mid_dispatch_finishes_its_sends_and_hands_back_the_rest(
    postgres: PrivatePostgres, database_url: str, redis: PrivateRedis, tmp_path: Path
) -> None:
    async with coupons_queued(database_url, redis) as (twilio, core, coupons):
        async with sending(database_url, redis, tmp_path, twilio) as first:
            first.process.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(first.process.wait, WAIT) == 0
        # Each send in flight finished and was recorded; no claim is left to its lease.
        assert {r.idempotency_token for r in twilio.received} == await sent_tokens(core)
        assert not await core.pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'sending'")
        events = first.events()
        assert "serving" in events  # the log is read: the next line can fail
        assert "outbox_stop_timeout" not in events

        drained = await restart_until_all_sent(database_url, redis, tmp_path, twilio, core)

        assert sorted(r.body or "" for r in twilio.received) == sorted(coupons.values())
        assert Counter(r.idempotency_token for r in twilio.received) == Counter(list(coupons))
        report(
            "outbox SIGTERMed mid-dispatch",
            coupons=COUPONS,
            sent_twice=0,
            drained_after_restart_seconds=round(drained, 1),
        )


async def _all_sent(core: Core) -> bool:
    sent: int = await core.pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'sent'")
    return sent == COUPONS
