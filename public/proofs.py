"""Public proof pages (verifiable draws): no sign-in, no external assets, never a phone.

GET /r/{KEYWORD}/proof              the commitment, every published day, a lookup form
                                    (JSON for `Accept: application/json`: the verifier)
GET /r/{KEYWORD}/proof/{YYYY-MM-DD} the day's log as published (JSON)
GET /r/{KEYWORD}/proof/lookup?ref=  a customer's own entries and how each outcome follows
GET /r/{KEYWORD}/proof/verify.py    the standalone verifier (standard library only)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape
from importlib import resources
from typing import Any

from aiohttp import web

from core import proof
from core.errors import InvalidInput, LuckyDrawError
from core.ports import Telemetry
from core.services.proofs import FoundEntry, ProofIndex, ProofService
from public.refusals import TELEMETRY, refused

PROOFS = web.AppKey("proofs", ProofService)
BASE = "/r/{keyword:[A-Za-z0-9]{2,16}}/proof"
# Inline styles only; nothing is loaded from anywhere.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:1rem auto;padding:0 1rem;"
    "line-height:1.45}code{word-break:break-all}table{border-collapse:collapse}"
    "td,th{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left}"
)


def add_proof_routes(app: web.Application, proofs: ProofService, telemetry: Telemetry) -> None:
    app[PROOFS] = proofs
    app[TELEMETRY] = telemetry
    app.router.add_get(BASE, proof_index)
    app.router.add_get(BASE + "/verify.py", verifier_script)
    app.router.add_get(BASE + "/lookup", lookup)
    app.router.add_get(BASE + "/{day}", proof_day)  # any other segment: a day, or 400


async def proof_index(request: web.Request) -> web.Response:
    keyword = request.match_info["keyword"].upper()
    try:
        index = await request.app[PROOFS].index(keyword)
    except LuckyDrawError as exc:
        return _refusal(request, exc)
    if _wants_json(request):
        return web.json_response(_index_json(index))
    return _page(f"Draw proofs: {index.campaign.name}", _index_html(index))


async def proof_day(request: web.Request) -> web.Response:
    keyword = request.match_info["keyword"].upper()
    raw = request.match_info["day"]
    try:
        # fromisoformat alone would also take 20261201 and 2026-W48-2.
        day = date.fromisoformat(raw) if len(raw) == len("YYYY-MM-DD") else None
    except ValueError:
        day = None
    if day is None:
        message = f"“{raw[:40]}” is not a day: write it YYYY-MM-DD, e.g. 2026-12-01"
        return _refusal(request, InvalidInput(message, field="day"), 400)
    try:
        log = await request.app[PROOFS].day(keyword, day)
    except LuckyDrawError as exc:
        return _refusal(request, exc)
    return web.Response(
        body=log,
        content_type="application/json",
        headers={"Content-Disposition": f'inline; filename="{keyword}-{day}.json"'},
    )


async def verifier_script(request: web.Request) -> web.Response:
    script = resources.files("core").joinpath("verify.py").read_bytes()
    return web.Response(
        body=script,
        content_type="text/x-python",
        headers={"Content-Disposition": 'attachment; filename="verify.py"'},
    )


async def lookup(request: web.Request) -> web.Response:
    keyword = request.match_info["keyword"].upper()
    raw = request.query.get("ref", "")
    if proof.normalise_reference(raw) is None:
        message = (
            f"“{raw[:40]}” is not an entry reference: it is the {proof.REFERENCE_CHARS} "
            "letters and digits your draw reply or PROOF gave you."
        )
        refused(request, "invalid_ref", 400)
        return _page("Not a reference", f"<p>{escape(message)}</p>{_back(keyword)}", 400)
    try:
        proofs = request.app[PROOFS]
        campaign = await proofs.campaign(keyword)
        found = await proofs.lookup(keyword, raw)
    except LuckyDrawError as exc:
        return _refusal(request, exc)
    return _page(f"Your entries: {campaign.name}", _found_html(keyword, raw, found))


def _index_json(index: ProofIndex) -> dict[str, Any]:
    keyword = index.campaign.keyword
    return {
        "campaign": {"id": index.campaign.id, "keyword": keyword, "name": index.campaign.name},
        "commitment": {
            "first_day": index.commitment.first_day.isoformat(),
            "commitment": index.commitment.commitment,
            "committed_at": index.commitment.committed_at.isoformat(),
        },
        "days": [
            {
                "day": d.day.isoformat(),
                "url": f"/r/{keyword}/proof/{d.day.isoformat()}",
                "merkle_root": d.merkle_root,
                "entries": d.entries,
                "published_at": d.published_at.isoformat(),
            }
            for d in index.days
        ],
        "stopped": index.stopped,  # null, or why no later day will be published
    }


def _index_html(index: ProofIndex) -> str:
    keyword = index.campaign.keyword
    rows = "".join(
        f"<tr><td><a href='/r/{keyword}/proof/{d.day}'>{d.day}</a></td><td>{d.entries}</td>"
        f"<td><code>{d.merkle_root}</code></td></tr>"
        for d in index.days
    )
    table = (
        f"<table><tr><th>day</th><th>entries</th><th>Merkle root</th></tr>{rows}</table>"
        if rows
        else "<p>No day has ended yet: each day's seed and log appear here after it ends.</p>"
    )
    return f"""
<h2>Draw commitment</h2>
<p>Before the first entry, this campaign committed to a chain of secret day seeds:</p>
<p><code>{index.commitment.commitment}</code><br>
(SHA-256 of the seed of {index.commitment.first_day}, committed
{index.commitment.committed_at:%Y-%m-%d %H:%M} UTC). Every entry's result comes from its day's
seed, which is revealed only after the day ends in {escape(index.campaign.timezone)}; each
revealed seed hashes back to this commitment, so no result could be changed after entries
came in.</p>
<h2>Published days</h2>
{table}{f"<p>{escape(index.stopped[0].upper() + index.stopped[1:])}.</p>" if index.stopped else ""}
<h2>Find your entry</h2>
<form action="/r/{keyword}/proof/lookup" method="get">
<label>Your reference <input name="ref" required minlength="{proof.REFERENCE_CHARS}"
maxlength="40" autocomplete="off"></label> <button>Find</button></form>
<p>Your reference is in your draw reply, or text <b>PROOF</b> (Telegram: /proof).</p>
<h2>Check it yourself</h2>
<p>Download <a href="/r/{keyword}/proof/verify.py">verify.py</a> (Python 3, standard library
only) and run <code>python3 verify.py URL-of-a-day</code>. It checks the seed against the
commitment, every entry's value and band against the published odds, the quotas, and the
Merkle root.</p>"""


def _found_html(keyword: str, raw: str, found: Sequence[FoundEntry]) -> str:
    if not found:
        return (
            f"<p>No published entry has the reference {escape(raw)}. A day's entries appear "
            f"after the day ends.</p>{_back(keyword)}"
        )
    parts = []
    for item in found:
        entry = item.entry
        u = float(entry["u"])
        bands = "".join(
            f"<li>{escape(name)}: {low:.6f} ≤ u &lt; {high:.6f}"
            f"{' ← yours' if low <= u < high else ''}</li>"
            for name, low, high in item.bands
        )
        parts.append(
            f"<h2><a href='/r/{keyword}/proof/{item.day}'>{item.day}</a></h2>"
            f"<p>Entry <code>{escape(entry['ref'])}</code> at {escape(entry['time'])}: "
            f"u = {u:.6f}, outcome <b>{escape(_OUTCOMES.get(entry['outcome'], '?'))}</b>.</p>"
            f"<ul>{bands}<li>anything else: no prize</li></ul>"
        )
    return "".join(parts) + _back(keyword)


_OUTCOMES = {
    "won": "won",
    "no_prize": "no prize (u fell outside every prize's band)",
    "sold_out": "no prize: that prize was used up (daily or total quota)",
    "not_yet_released": "no prize: that prize had no unit released yet (pacing)",
    "capped": "no prize: the win cap per customer was reached",
}


def _back(keyword: str) -> str:
    return f"<p><a href='/r/{keyword}/proof'>All days</a></p>"


def _wants_json(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _refusal(request: web.Request, exc: LuckyDrawError, status: int = 404) -> web.Response:
    message = str(exc)
    refused(request, exc.code, status)
    if _wants_json(request) or request.match_info.get("day"):
        field = exc.field if isinstance(exc, InvalidInput) else None
        error = {"code": exc.code, "message": message, "field": field}
        return web.json_response({"error": error}, status=status)
    title = "Not found" if status == 404 else "Not a valid request"
    return _page(title, f"<p>{escape(message)}</p>", status)


def _page(title: str, body: str, status: int = 200) -> web.Response:
    html = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(
        text=html,
        content_type="text/html",
        status=status,
        headers={"Content-Security-Policy": _CSP},
    )
