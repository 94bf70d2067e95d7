"""The checks after every fault: what must hold whatever failed."""

from __future__ import annotations

import aiohttp
import asyncpg

from tests.faults.load import Outcome, new_sid, text


async def broken_invariants(pool: asyncpg.Pool, outcomes: list[Outcome]) -> list[str]:
    """Every rule a fault broke, as sentences; empty when all held."""
    broken: list[str] = []
    over_total = await pool.fetch(
        """SELECT p.name FROM prize p
            WHERE (SELECT count(*) FROM coupon c WHERE c.prize_id = p.id) > p.total_quota"""
    )
    broken += [f"prize {r['name']} over its total quota" for r in over_total]
    over_daily = await pool.fetch(
        """SELECT p.name, c.issued_day FROM coupon c JOIN prize p ON p.id = c.prize_id
            GROUP BY p.name, c.issued_day, p.daily_quota HAVING count(*) > p.daily_quota"""
    )
    broken += [f"prize {r['name']} over its daily quota on {r['issued_day']}" for r in over_daily]
    twice = await pool.fetchval(
        """SELECT count(*) FROM (SELECT 1 FROM draw GROUP BY campaign_id, customer_id, local_day
                                  HAVING count(*) > 1) t"""
    )
    if twice:
        broken.append(f"{twice} customers drew twice in a day")
    shown = {o.code: o.phone for o in outcomes if o.code}
    issued = await pool.fetch(
        """SELECT c.code, cu.phone FROM coupon c JOIN customer cu ON cu.id = c.customer_id
            WHERE c.code = ANY($1::text[])""",
        list(shown),
    )
    found = {r["code"]: r["phone"] for r in issued}
    broken += [f"code {code} was shown to {phone} but is {found.get(code)}'s coupon"
               for code, phone in shown.items() if found.get(code) != phone]  # fmt: skip
    by_sid = {o.sid: o for o in outcomes}
    draws = await pool.fetch(
        """SELECT d.request_id, c.code FROM draw d LEFT JOIN coupon c ON c.draw_id = d.id
            WHERE d.request_id LIKE 'sms:%'"""
    )
    for row in draws:
        outcome = by_sid.get(row["request_id"].removeprefix("sms:"))
        if outcome is None or outcome.kind in ("failed", "unconfirmed"):
            continue  # not ours, or not answered (unseen_wins checks the next DRAW shows it)
        if outcome.kind not in ("won", "lost") or outcome.code != row["code"]:
            broken.append(f"a recorded draw was answered {outcome.kind}: {outcome.reply!r}")
    broken += [f"unexpected answer {o.status} {o.reply!r}"
               for o in outcomes if o.kind in ("other", "already")]  # fmt: skip
    return broken


async def unseen_wins(pool: asyncpg.Pool, base_url: str, outcomes: list[Outcome]) -> list[str]:
    """Customers whose DRAW got no draw answer text DRAW again: a recorded win must show."""
    unanswered = [o for o in outcomes if o.kind in ("apology", "unconfirmed", "failed")]
    missing: list[str] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        for first in unanswered:
            code = await pool.fetchval(
                """SELECT c.code FROM coupon c JOIN customer cu ON cu.id = c.customer_id
                    WHERE cu.phone = $1""",
                first.phone,
            )
            again = await text(session, base_url, "DRAW", first.phone, new_sid())
            if code is not None and code not in (again.reply or ""):
                missing.append(f"{first.phone} won {code}, and DRAW again said {again.reply!r}")
    return missing
