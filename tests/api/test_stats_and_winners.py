"""Stats agree with the rows; the winners CSV masks phones and streams in bounded memory."""

from __future__ import annotations

import asyncio
import csv
import io
import socket
import time
import tracemalloc
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import psutil
import pytest
from aiohttp.test_utils import TestClient, TestServer

from app.bootstrap import Core, open_core
from app.server import create_app
from app.settings import Settings
from tests.api.conftest import AUTH, Client, call
from tests.conftest import FakeClock
from tests.helpers import campaign_data, spec, sure_loss, sure_win

STAFF = "+85261234567"


def _phone(n: int) -> str:
    return f"+8529123{n:04d}"


async def test_stats_agree_with_the_rows_after_a_day_of_draws_and_redemptions(
    api: Client, services: Core, clock: FakeClock
) -> None:
    cid = (await call(api, "POST", "/api/campaigns", 201, sure_win(total=5, daily=3)))["id"]
    other = await call(api, "POST", "/api/campaigns", 201, sure_loss(keyword="SPRING"))
    await call(api, "POST", "/api/staff", 201, {"phone": STAFF})

    async def draw(n: int) -> str | None:
        body = {"phone": _phone(n), "campaign_id": cid}
        code: str | None = (await call(api, "POST", "/api/draws", 201, body))["code"]
        return code

    async def redeem(code: str | None) -> None:
        await call(api, "POST", "/api/redemptions", 200, {"code": code, "staff_phone": STAFF})

    day1 = [await draw(n) for n in range(4)]  # daily quota 3: the 4th is sold out
    assert [c is not None for c in day1] == [True, True, True, False]
    await call(api, "POST", "/api/draws", 201, {"phone": _phone(0), "keyword": "SPRING"})
    await redeem(day1[0])
    await redeem(day1[1])
    clock.advance(days=1)
    day2 = [await draw(n) for n in (4, 5, 6, 0)]  # total quota 5: two more, then sold out
    assert [c is not None for c in day2] == [True, True, False, False]
    await redeem(day2[0])

    stats = await call(api, "GET", f"/api/campaigns/{cid}/stats", 200)
    assert stats == {
        "campaign_id": cid,
        "draws": 8,
        "draws_today": 4,
        "wins": 5,
        "prizes": [
            {"name": "Free Coffee", "total_quota": 5, "daily_quota": 3, "issued": 5,
             "issued_today": 2, "released_today": 2, "redeemed": 3},
        ],
    }  # fmt: skip
    rows = await services.pool.fetchrow(
        """SELECT (SELECT count(*) FROM draw WHERE campaign_id = $1) AS draws,
                  (SELECT count(*) FROM draw WHERE campaign_id = $1 AND local_day = $2) AS today,
                  (SELECT count(*) FROM coupon WHERE campaign_id = $1) AS wins,
                  (SELECT count(*) FROM coupon WHERE campaign_id = $1 AND issued_day = $2)
                      AS wins_today,
                  (SELECT count(*) FROM coupon WHERE campaign_id = $1 AND redeemed_at IS NOT NULL)
                      AS redeemed""",
        cid,
        (clock.now + timedelta(hours=8)).date(),
    )
    assert rows is not None
    assert (rows["draws"], rows["today"], rows["wins"]) == (8, 4, 5)
    assert (rows["wins_today"], rows["redeemed"]) == (2, 3)
    other_stats = await call(api, "GET", f"/api/campaigns/{other['id']}/stats", 200)
    assert (other_stats["draws"], other_stats["wins"]) == (1, 0)


async def _csv(api: Client, path: str) -> list[list[str]]:
    resp = await api.get(path, headers=AUTH)
    assert resp.status == 200
    assert resp.content_type == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(await resp.text())))


async def test_the_winners_csv_masks_phones_unless_full_is_asked(api: Client) -> None:
    cid = (await call(api, "POST", "/api/campaigns", 201, sure_win()))["id"]
    await call(api, "POST", "/api/staff", 201, {"phone": STAFF})
    codes = [
        (await call(api, "POST", "/api/draws", 201, {"phone": _phone(n)}))["code"] for n in (1, 2)
    ]
    await call(api, "POST", "/api/redemptions", 200, {"code": codes[1], "staff_phone": STAFF})

    masked = await _csv(api, f"/api/campaigns/{cid}/winners")
    assert masked[0] == ["code", "prize", "phone", "issued_at", "expires_at", "redeemed_at"]
    assert [(r[0], r[1], r[2], r[5]) for r in masked[1:]] == [
        (codes[0], "Free Coffee", "+85******001", ""),
        (codes[1], "Free Coffee", "+85******002", "2026-12-10T04:00:00+00:00"),
    ]
    full = await _csv(api, f"/api/campaigns/{cid}/winners?full=true")
    assert [r[2] for r in full[1:]] == [_phone(1), _phone(2)]
    assert (await api.get(f"/api/campaigns/{cid}/winners?full=maybe", headers=AUTH)).status == 400


async def test_an_empty_campaign_exports_just_the_header(api: Client) -> None:
    cid = (await call(api, "POST", "/api/campaigns", 201, sure_win()))["id"]
    assert len(await _csv(api, f"/api/campaigns/{cid}/winners")) == 1


WINNERS = 100_000


async def seed_winners(
    settings: Settings, campaign: dict[str, Any], now: datetime, count: int
) -> None:
    """`count` coupons of the campaign's first prize, each with its own customer.

    On a connection of its own, without the pool's command timeout: on a busy machine the
    seeding may take any time, and no test may depend on the machine's speed."""
    assert settings.database_url is not None
    connection = await asyncpg.connect(settings.database_url)
    try:
        await connection.execute(
            """WITH cu AS (
                   INSERT INTO customer (phone, created_at)
                   SELECT '+8529' || lpad(g::text, 7, '0'), $2 FROM generate_series(1, $4::int) g
                   RETURNING id)
               INSERT INTO coupon (code, campaign_id, prize_id, customer_id, issued_at,
                                   issued_day, expires_at)
               SELECT 'W' || lpad(id::text, 10, '0'), $1, $3, id, $2, $2::date,
                      $2 + interval '7 days'
                 FROM cu""",
            campaign["id"],
            now,
            campaign["prizes"][0]["id"],
            count,
        )
    finally:
        await connection.close()


async def test_a_csv_of_100000_winners_streams_in_bounded_memory(
    api: Client, settings: Settings, clock: FakeClock
) -> None:
    campaign = await call(api, "POST", "/api/campaigns", 201, sure_win(total=WINNERS))
    await seed_winners(settings, campaign, clock.now, WINNERS)
    # Traced allocations until the first 10,000 rows arrive (tracing all 100,000 costs ~25 s):
    # an export that fetched or buffered every row would have allocated them all by then.
    # RSS, sampled per chunk, covers the whole download.
    process = psutil.Process()
    baseline_rss = peak_rss = process.memory_info().rss
    tracemalloc.start()
    traced_peak: int | None = None
    started = time.perf_counter()
    resp = await api.get(f"/api/campaigns/{campaign['id']}/winners", headers=AUTH)
    assert resp.status == 200
    size = lines = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        lines += chunk.count(b"\n")
        peak_rss = max(peak_rss, process.memory_info().rss)
        if traced_peak is None and lines >= 10_000:
            traced_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    elapsed = time.perf_counter() - started
    assert traced_peak is not None
    assert lines == WINNERS + 1
    growth = peak_rss - baseline_rss
    print(
        f"\n{WINNERS} winners: {size / 1e6:.1f} MB of CSV in {elapsed:.1f} s; traced peak"
        f" {traced_peak / 1e6:.2f} MB (first 10,000 rows), peak RSS growth {growth / 1e6:.1f} MB"
    )
    assert size > 9_000_000
    assert traced_peak < 2_000_000
    assert growth < size / 2


async def test_an_unknown_winners_query_parameter_is_refused(api: Client) -> None:
    cid = (await call(api, "POST", "/api/campaigns", 201, sure_win()))["id"]
    resp = await api.get(f"/api/campaigns/{cid}/winners?ful=1", headers=AUTH)
    assert resp.status == 400
    assert (await resp.json())["error"]["field"] == "ful"


@pytest.mark.parametrize(
    "name", ['=HYPERLINK("http://evil.example","Prize")', "+1 Free Cake", "-50% Off", "@SUM(A1)"]
)
async def test_a_prize_name_that_a_spreadsheet_would_run_is_exported_as_text(
    api: Client, name: str
) -> None:
    prize = {"name": name, "probability": 1.0, "total_quota": 5, "daily_quota": 5,
             "valid_days": 7}  # fmt: skip
    cid = (await call(api, "POST", "/api/campaigns", 201, campaign_data(prizes=[prize])))["id"]
    await call(api, "POST", "/api/draws", 201, {"phone": _phone(1)})
    rows = await _csv(api, f"/api/campaigns/{cid}/winners")
    assert rows[1][1] == "'" + name


async def _stalled_download(client: Client, path: str) -> asyncio.StreamWriter:
    """A client that starts a download, then reads no more (a tiny receive buffer, so the
    server's writes soon block): a slow phone on a bad network."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", client.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    headers = f"Host: 127.0.0.1\r\nAuthorization: {AUTH['Authorization']}\r\n"
    writer.write(f"GET {path} HTTP/1.1\r\n{headers}\r\n".encode())
    await writer.drain()
    await reader.readexactly(4096)  # the export is under way: rows are coming
    return writer


async def test_stalled_winners_downloads_leave_the_database_to_everyone_else(
    services: Core, settings: Settings, clock: FakeClock
) -> None:
    """Two slow downloads with a pool of two connections: a draw is still answered."""
    campaign = await services.campaigns.create(spec(sure_win(total=100_000)))
    data = {"id": campaign.id, "prizes": [{"id": campaign.prizes[0].id}]}
    await seed_winners(settings, data, clock.now, 40_000)
    small = settings.model_copy(update={"pool_max_size": 2})
    async with (
        open_core(small, clock=clock) as core,
        TestClient(TestServer(create_app(small, core))) as client,
    ):
        path = f"/api/campaigns/{campaign.id}/winners"
        stalled = [await _stalled_download(client, path) for _ in range(2)]
        try:
            async with asyncio.timeout(30):
                body = {"phone": "+85291239999", "campaign_id": campaign.id}
                drawn = await call(client, "POST", "/api/draws", 201, body)
        finally:
            for writer in stalled:
                writer.close()
    assert drawn["won"]


async def test_with_every_connection_busy_the_api_answers_503_rather_than_wait(
    services: Core, settings: Settings, clock: FakeClock
) -> None:
    small = settings.model_copy(update={"pool_max_size": 2, "db_acquire_timeout": 0.5})
    async with (
        open_core(small, clock=clock) as core,
        TestClient(TestServer(create_app(small, core))) as client,
        core.pool.acquire(),
        core.pool.acquire(),
        asyncio.timeout(30),
    ):
        response = await client.get("/api/staff", headers=AUTH)
        assert response.status == 503
        assert response.headers["Retry-After"] == "1"
        assert (await response.json())["error"]["code"] == "busy"
