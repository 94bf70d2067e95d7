"""Throughput of this tree against an earlier revision, measured in the same run.

    .venv/bin/python -m bench.ab --base main --mode fresh --rounds 3 --seconds 10 --save ab_fresh

Exports `--base` (any git revision) to a temporary directory and runs `bench.load` there and
here alternately, `--rounds` times each, with the same settings and the same virtualenv, so
the machine's other load falls on both sides alike. Reports each run's requests per second,
the medians and their ratio (this tree / base).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from bench.common import save

ROOT = Path(__file__).resolve().parent.parent


def export(revision: str, into: Path) -> str:
    """The revision's files under `into`; answers its commit id."""
    commit = subprocess.run(
        ["git", "rev-parse", revision], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    archive = into / "base.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", commit], cwd=ROOT, check=True, stdout=out)
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return commit


def load(tree: Path, mode: str, concurrency: int, seconds: float) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "bench.load", "--mode", mode,
        "--concurrency", str(concurrency), "--seconds", str(seconds),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=tree, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="main", help="git revision to compare with")
    parser.add_argument("--mode", default="fresh")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--save", help="results file name under bench/results/")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 5:
        parser.error("rounds must be 1..5 (load tests are bounded)")
    with tempfile.TemporaryDirectory() as tmp:
        base_commit = export(args.base, Path(tmp))
        runs: dict[str, list[dict[str, Any]]] = {"base": [], "this": []}
        for _ in range(args.rounds):
            for side, tree in (("base", Path(tmp) / "tree"), ("this", ROOT)):
                result = load(tree, args.mode, args.concurrency, args.seconds)
                runs[side].append(result)
                print(side, result["per_second"], "req/s", file=sys.stderr)
    medians = {side: statistics.median(r["per_second"] for r in rs) for side, rs in runs.items()}
    report = {
        "what": f"bench.load --mode {args.mode}: this tree against {args.base}, alternating",
        "base": base_commit,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "per_second": {side: [r["per_second"] for r in rs] for side, rs in runs.items()},
        "p99_ms": {side: [r.get("p99_ms") for r in rs] for side, rs in runs.items()},
        "errors": {side: sum(r["errors"] for r in rs) for side, rs in runs.items()},
        "invariants": {side: [r["invariants"] for r in rs] for side, rs in runs.items()},
        "median_per_second": medians,
        "ratio": round(medians["this"] / medians["base"], 3),
    }
    print(json.dumps(report, indent=2))
    if args.save:
        save(args.save, report)


if __name__ == "__main__":
    main()
