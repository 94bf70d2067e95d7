#!/usr/bin/env python3
"""Check a Lucky Draw proof: one campaign-local day of draws, against the campaign's commitment.

Standard library only, one file, so anyone can read it and run it without installing anything:

    python3 verify.py https://draw.example.com/r/WINTER/proof/2026-12-01
    python3 verify.py 2026-12-01.json

It checks that the revealed day seed hashes to the commitment published before the campaign
started; that every entry's uniform value `u` and band follow from that seed and the published
odds; that no prize went over its daily or total quota; that every "sold out", "not yet
released" and "capped" outcome agrees with the quota, release and win-cap figures; and that the
Merkle root matches the entries. Exit status 0 when nothing is wrong, 1 when something is.

The service computes `u`, the bands and the Merkle root with the functions below, so the rules
a draw followed and the rules checked here are one text (luckydraw's `core/verify.py`).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

FORMAT = "luckydraw-proof/1"
OUTCOMES = ("won", "no_prize", "sold_out", "not_yet_released", "capped")
_LOST_BAND = ("sold_out", "not_yet_released", "capped")  # a prize band that did not win


# --- the rules of a verifiable draw (the service uses these very functions) ---


def next_seed(seed: bytes) -> bytes:
    """One step back along the chain: the seed of the day before is SHA-256 of this one."""
    return hashlib.sha256(seed).digest()


def commitment_of(seed: bytes, days_after_first: int) -> bytes:
    """What `seed`, the seed of the day `days_after_first` days after the first, commits to:
    SHA-256 applied once per day back to the first day's seed, and once more."""
    value = seed
    for _ in range(days_after_first + 1):
        value = next_seed(value)
    return value


def uniform(seed: bytes, campaign_id: int, day: date, entry: str) -> float:
    """`u` in [0, 1): the first 53 bits of HMAC-SHA256(day seed, "campaign|day|entry") / 2^53."""
    message = f"{campaign_id}|{day.isoformat()}|{entry}".encode()
    digest = hmac.new(seed, message, hashlib.sha256).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / (1 << 53)


def band_index(probabilities: Sequence[float], u: float) -> int | None:
    """Which band holds `u`: bands are laid end to end in the published order; the rest up to
    1 is "no prize" (None)."""
    if not 0.0 <= u < 1.0:
        raise ValueError("u must be in [0, 1)")
    edge = 0.0
    for index, probability in enumerate(probabilities):
        edge += probability
        if u < edge:
            return index
    return None


def canonical(value: Any) -> bytes:
    """The bytes an entry is hashed as: JSON with sorted keys and no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def merkle_root(entries: Sequence[Mapping[str, Any]]) -> str:
    """The RFC 6962 Merkle tree hash over the entries in log order, as hex.

    Leaves are SHA-256(0x00 || entry), nodes SHA-256(0x01 || left || right); the empty log's
    root is SHA-256 of nothing.
    """
    return _tree([hashlib.sha256(b"\x00" + canonical(e)).digest() for e in entries]).hex()


def _tree(leaves: Sequence[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1
    while split * 2 < len(leaves):
        split *= 2
    return hashlib.sha256(b"\x01" + _tree(leaves[:split]) + _tree(leaves[split:])).digest()


# --- checking a published day ---


@dataclass
class Report:
    day: str
    campaign: str
    entries: int = 0
    wins: dict[str, int] = field(default_factory=dict)
    outcomes: Counter[str] = field(default_factory=Counter)
    race_losses: int = 0  # a prize band lost while units of it were still left at day's end
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        lines = [f"{self.campaign} {self.day}: {self.entries} entries"]
        lines.append(
            "  outcomes: "
            + ", ".join(f"{k} {self.outcomes[k]}" for k in OUTCOMES if k in self.outcomes)
            if self.outcomes
            else "  outcomes: none"
        )
        for prize, wins in self.wins.items():
            lines.append(f"  won {prize}: {wins}")
        lines.append(
            f"  lost to a race while units were left at the end of the day: {self.race_losses}"
        )
        if self.problems:
            lines.append(f"  FAILED, {len(self.problems)} problem(s):")
            lines.extend(f"  - {p}" for p in self.problems)
        else:
            lines.append("  OK: seed, u, bands, outcomes, quotas and Merkle root all check out")
        return "\n".join(lines)


def verify(log: Mapping[str, Any]) -> Report:
    """Every check on one day's published log; problems are named, never raised."""
    campaign = log.get("campaign") or {}
    report = Report(day=str(log.get("day")), campaign=str(campaign.get("keyword", "?")))
    try:
        _verify(log, report)
    except (KeyError, TypeError, ValueError) as exc:
        report.problems.append(f"the log is malformed: {type(exc).__name__} {exc}")
    return report


def _verify(log: Mapping[str, Any], report: Report) -> None:
    if log.get("format") != FORMAT:
        report.problems.append(f"unknown format {log.get('format')!r}, expected {FORMAT!r}")
        return
    day = date.fromisoformat(log["day"])
    campaign_id = int(log["campaign"]["id"])
    commitment = log["commitment"]
    first_day = date.fromisoformat(commitment["first_day"])
    seed = bytes.fromhex(log["seed"])
    if day < first_day:
        report.problems.append(f"day {day} is before the chain's first day {first_day}")
    elif commitment_of(seed, (day - first_day).days).hex() != commitment["commitment"]:
        report.problems.append(
            "the seed does not hash to the commitment: it is not the seed committed to"
        )

    odds = {str(v["version"]): v["prizes"] for v in log["odds"]}
    for version, prizes in odds.items():
        total = sum(float(p["probability"]) for p in prizes)
        if total > 1 + 1e-9:
            report.problems.append(f"odds version {version}: probabilities sum to {total} > 1")
    names = {int(p["id"]): str(p["name"]) for prizes in odds.values() for p in prizes}
    entries = log["entries"]
    report.entries = len(entries)
    wins: Counter[int] = Counter()
    lost: dict[int, list[Mapping[str, Any]]] = {}
    seen: set[str] = set()
    for number, entry in enumerate(entries, 1):
        label = f"entry {number} (ref {entry['ref']})"
        if entry["ref"] in seen:
            report.problems.append(f"{label}: this reference already drew that day")
        seen.add(entry["ref"])
        u = uniform(seed, campaign_id, day, entry["ref"])
        if "u" in entry and entry["u"] != u:
            report.problems.append(f"{label}: published u {entry['u']} but the seed gives {u}")
        prizes = odds.get(str(entry["odds"]))
        if prizes is None:
            report.problems.append(f"{label}: odds version {entry['odds']} is not published")
            continue
        index = band_index([float(p["probability"]) for p in prizes], u)
        band = None if index is None else int(prizes[index]["id"])
        if entry["band"] != band:
            report.problems.append(
                f"{label}: band {_name(names, entry['band'])} does not follow from u {u} "
                f"and the odds (it gives {_name(names, band)})"
            )
        outcome = entry["outcome"]
        report.outcomes[outcome] += 1
        if outcome not in OUTCOMES:
            report.problems.append(f"{label}: unknown outcome {outcome!r}")
        elif (outcome == "no_prize") != (entry["band"] is None):
            report.problems.append(
                f"{label}: outcome {outcome} contradicts its band {_name(names, entry['band'])}"
            )
        elif outcome == "won":
            wins[int(entry["band"])] += 1
        elif outcome in _LOST_BAND:
            lost.setdefault(int(entry["band"]), []).append(entry)
            if outcome == "capped":
                _check_capped(log, entry, label, report)
    _check_quotas(log, names, wins, lost, report)
    report.wins = {names.get(p, str(p)): n for p, n in sorted(wins.items())}
    if merkle_root(entries) != log["merkle_root"]:
        report.problems.append(
            "the Merkle root does not match the entries: entries were changed, added, removed "
            "or reordered after publication"
        )


def _check_capped(
    log: Mapping[str, Any], entry: Mapping[str, Any], label: str, report: Report
) -> None:
    cap = log.get("max_wins_per_customer")
    if cap is None:
        report.problems.append(f"{label}: capped, but the campaign has no win cap")
    elif int(entry.get("prior_wins", 0)) < int(cap):
        report.problems.append(
            f"{label}: capped after {entry.get('prior_wins', 0)} wins, below the cap of {cap}"
        )


def _check_quotas(
    log: Mapping[str, Any],
    names: Mapping[int, str],
    wins: Counter[int],
    lost: Mapping[int, Sequence[Mapping[str, Any]]],
    report: Report,
) -> None:
    quotas = {int(q["prize"]): q for q in log["quotas"]}
    for prize in set(wins) | set(lost):
        if prize not in quotas:
            report.problems.append(f"{_name(names, prize)}: no quota figures published")
    for prize, q in quotas.items():
        name = _name(names, prize)
        won, issued = wins[prize], int(q["issued"])
        daily, total, before = int(q["daily_quota"]), int(q["total_quota"]), int(q["issued_before"])
        if won != issued:
            report.problems.append(f"{name}: {won} winning entries but {issued} coupons issued")
        if won > daily:
            report.problems.append(f"{name}: {won} wins, over the daily quota of {daily}")
        if before + won > total:
            report.problems.append(
                f"{name}: {before} + {won} wins, over the total quota of {total}"
            )
        units = q.get("units")
        if units is not None and won > int(units):
            report.problems.append(f"{name}: {won} wins, over the day's {units} units")
        used_up = won >= daily or before + won >= total or (units is not None and won >= units)
        releases = q.get("released")
        for entry in lost.get(prize, ()):
            if entry["outcome"] == "sold_out" and not used_up:
                report.race_losses += 1
            elif entry["outcome"] == "not_yet_released":
                if releases is None:
                    report.problems.append(
                        f"entry ref {entry['ref']}: not yet released, but {name} is not paced"
                    )
                    continue
                at = _instant(entry["time"])
                released_by_then = sum(1 for r in releases if _instant(r) <= at)
                if released_by_then > won:
                    report.race_losses += 1


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _name(names: Mapping[int, str], prize: int | None) -> str:
    return "no prize" if prize is None else repr(names.get(prize, f"prize {prize}"))


# --- command line ---


def load(source: str) -> Any:
    """A proof from a URL (http/https) or a file."""
    if source.startswith(("http://", "https://")):  # only these schemes reach urllib
        request = urllib.request.Request(source, headers={"Accept": "application/json"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return json.load(response)
    with open(source, encoding="utf-8") as file:
        return json.load(file)


def verify_source(source: str) -> list[Report]:
    """Reports for a day's proof, or for every day an index (`/r/KEYWORD/proof`) lists."""
    document = load(source)
    if "days" not in document:
        return [verify(document)]
    reports = []
    for listed in document["days"]:
        day = load(urllib.parse.urljoin(source, listed["url"]))
        report = verify(day)
        if listed.get("merkle_root") != day.get("merkle_root"):
            report.problems.append("the day's Merkle root differs from the one the index lists")
        reports.append(report)
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a Lucky Draw proof (a day's draw log).")
    parser.add_argument("source", help="a proof URL (/r/KEYWORD/proof/YYYY-MM-DD) or JSON file")
    args = parser.parse_args(argv)
    try:
        reports = verify_source(args.source)
    except (OSError, ValueError) as exc:
        print(f"could not read {args.source}: {exc}", file=sys.stderr)
        return 2
    for report in reports:
        print(report.text())
    return 0 if all(r.ok for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
