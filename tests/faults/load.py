"""A steady stream of signed DRAW webhooks, and what each one was answered.

Each request is a new customer's DRAW (Twilio's form, signed over the public URL), so every
answer is a fresh draw, an apology, or a transport failure; nothing else is expected.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import secrets
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import aiohttp

from tests.twilio_client import inbound, signed_form

AUTH_TOKEN = "faults-twilio-token"
PUBLIC_BASE_URL = "https://luckydraw.example.com"
CODE = re.compile(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}\b")
_phones = itertools.count(1)


def new_phone() -> str:
    return f"+8529{1_000_000 + next(_phones):07d}"


def new_sid() -> str:
    return "SM" + secrets.token_hex(16)


@dataclass
class Outcome:
    phone: str
    sid: str
    started: float
    finished: float
    status: int | None = None
    reply: str | None = None
    error: str | None = None  # the transport failure: reset, refused, timed out

    @property
    def kind(self) -> str:
        """won, lost, already, apology, unconfirmed, failed (no answer), or other."""
        if self.error is not None or self.status != 200 or self.reply is None:
            return "failed"
        if self.reply.startswith("You won "):
            return "won"
        if self.reply.startswith("No prize this time"):
            return "lost"
        if self.reply.startswith("You already drew today"):
            return "already"
        if self.reply.startswith("Sorry, something went wrong"):
            return "apology"  # nothing happened: try again
        if self.reply.startswith("Sorry, we could not confirm your draw"):
            return "unconfirmed"  # may have happened: DRAW again shows it
        return "other"

    @property
    def code(self) -> str | None:
        found = CODE.search(self.reply or "")
        return found.group(0) if found else None


async def text(
    session: aiohttp.ClientSession, base_url: str, body: str, phone: str, sid: str
) -> Outcome:
    params = inbound(body, phone, sid)
    data, headers = signed_form(AUTH_TOKEN, PUBLIC_BASE_URL + "/sms/inbound", params)
    outcome = Outcome(phone, sid, time.monotonic(), 0.0)
    try:
        async with session.post(base_url + "/sms/inbound", data=data, headers=headers) as r:
            outcome.status = r.status
            root = ET.fromstring(await r.text())  # noqa: S314 - our own server's TwiML
            outcome.reply = " ".join(m.text or "" for m in root.iter("Message"))
    except (aiohttp.ClientError, TimeoutError, ET.ParseError) as exc:
        outcome.error = type(exc).__name__
    outcome.finished = time.monotonic()
    return outcome


@dataclass
class DrawLoad:
    """`concurrency` customers at a time, each texting DRAW once, until stopped."""

    base_url: str
    concurrency: int = 8
    timeout: float = 15.0  # Twilio's
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self.session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            connector=aiohttp.TCPConnector(limit=self.concurrency * 2),
        )
        self._tasks = [asyncio.create_task(self._customer()) for _ in range(self.concurrency)]

    async def _customer(self) -> None:
        assert self.session is not None
        while not self._stop.is_set():
            outcome = await text(self.session, self.base_url, "DRAW", new_phone(), new_sid())
            self.outcomes.append(outcome)
            if outcome.error is not None:
                await asyncio.sleep(0.05)  # refused: don't spin

    async def stop(self) -> list[Outcome]:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        assert self.session is not None
        await self.session.close()
        return self.outcomes

    def kinds(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
        return counts

    def recovery_seconds(self, since: float) -> float | None:
        """From `since` (the fault's end) to the first draw answered that was sent after it."""
        answered = [
            o.finished for o in self.outcomes if o.started >= since and o.kind in ("won", "lost")
        ]
        return min(answered) - since if answered else None
