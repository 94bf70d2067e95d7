"""Throughput of this tree against an earlier revision, measured in the same run.

    .venv/bin/python -m bench.ab --base main --mode fresh --rounds 3 --seconds 10 --save ab_fresh
    .venv/bin/python -m bench.ab --base-env DRAW_BATCH_MAX=1 --rounds 5   # a setting's worth

Exports `--base` (any git revision) to a temporary directory and runs `bench.load` there and
here alternately, `--rounds` times each, with the same settings and the same virtualenv, so
the machine's other load falls on both sides alike; with `--base-env NAME=VALUE` the base is
this tree with that environment instead. Reports each run's requests per second and CPU
milliseconds per request (server, PostgreSQL), the medians and their ratios (this / base).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
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
    # The same load generator drives both sides: this tree's bench/ replaces the base's.
    shutil.copytree(ROOT / "bench", into / "tree" / "bench", dirs_exist_ok=True)
    return commit


def load(tree: Path, args: argparse.Namespace, env: dict[str, str]) -> dict[str, Any]:
    command = [
        sys.executable, "-m", "bench.load", "--mode", args.mode, "--channel", args.channel,
        "--concurrency", str(args.concurrency), "--seconds", str(args.seconds),
        "--workers", str(args.workers), "--port", str(args.port), "--no-pgbench",
    ]  # fmt: skip
    for attempt in range(1, 5):  # again if a neighbour took every PostgreSQL connection
        done = subprocess.run(
            command, cwd=tree, stdout=subprocess.PIPE, text=True, env=os.environ | env
        )
        if done.returncode == 0 or attempt == 4:
            done.check_returncode()
            break
        time.sleep(10)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def cpu_ms(result: dict[str, Any], part: str) -> float:
    """CPU milliseconds of one part (server, postgres) per request answered."""
    return float(result["cpu_seconds"][part]) * 1000 / max(1, int(result["requests"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="main", help="git revision to compare with")
    parser.add_argument("--mode", default="fresh")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--channel", choices=("sms", "telegram"), default="sms")
    parser.add_argument("--base-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--save", help="results file name under bench/results/")
    args = parser.parse_args()
    if not 1 <= args.rounds <= 5:
        parser.error("rounds must be 1..5 (load tests are bounded)")
    base_env = dict(item.split("=", 1) for item in args.base_env)
    with tempfile.TemporaryDirectory() as tmp:
        if base_env:
            base_commit, base_tree = f"this tree with {base_env}", ROOT
        else:
            base_commit, base_tree = export(args.base, Path(tmp)), Path(tmp) / "tree"
        runs: dict[str, list[dict[str, Any]]] = {"base": [], "this": []}
        for _ in range(args.rounds):
            for side, tree, env in (("base", base_tree, base_env), ("this", ROOT, {})):
                result = load(tree, args, env)
                runs[side].append(result)
                print(side, result["per_second"], "req/s", file=sys.stderr)
    medians = {side: statistics.median(r["per_second"] for r in rs) for side, rs in runs.items()}
    cpu = {
        part: {side: [round(cpu_ms(r, part), 3) for r in rs] for side, rs in runs.items()}
        for part in ("server", "postgres")
    }
    cpu_medians = {
        part: {side: statistics.median(values) for side, values in sides.items()}
        for part, sides in cpu.items()
    }
    report = {
        "what": f"bench.load --mode {args.mode} --channel {args.channel}: this tree against "
        f"{base_commit}, alternating",
        "base": base_commit,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "seconds": args.seconds,
        "per_second": {side: [r["per_second"] for r in rs] for side, rs in runs.items()},
        "p99_ms": {side: [r.get("p99_ms") for r in rs] for side, rs in runs.items()},
        "errors": {side: sum(r["errors"] for r in rs) for side, rs in runs.items()},
        "error_samples": {
            side: [s for r in rs for s in r.get("error_samples", [])][:10]
            for side, rs in runs.items()
        },
        "invariants": {side: [r["invariants"] for r in rs] for side, rs in runs.items()},
        "median_per_second": medians,
        "ratio": round(medians["this"] / medians["base"], 3),
        "cpu_ms_per_request": cpu,
        "median_cpu_ms_per_request": cpu_medians,
        "cpu_ratio": {  # none where the base spent nothing (PostgreSQL on repeats)
            part: round(sides["this"] / sides["base"], 3) if sides["base"] else None
            for part, sides in cpu_medians.items()
        },
        "p50_ms": {side: [r.get("p50_ms") for r in rs] for side, rs in runs.items()},
    }
    print(json.dumps(report, indent=2))
    if args.save:
        save(args.save, report)


if __name__ == "__main__":
    main()
