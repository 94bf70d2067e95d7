"""`make bench`: every load mode across concurrency 1-128, the targets as medians of three
runs, a concurrency-512 soak, a Telegram run, and the chart for the README.

Writes bench/results/load_*.json and bench/results/load.png. Takes about 15 minutes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no screen here
import matplotlib.pyplot as plt
import uvloop

from bench.common import RESULTS, save
from bench.load import MODES, run

CONCURRENCY = (1, 8, 32, 64, 128)
TARGET_CONCURRENCY = 64


async def sweep(seconds: float, workers: int) -> dict[str, Any]:
    curves: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for mode in MODES:
        for concurrency in CONCURRENCY:
            result = await run(mode, "sms", concurrency, seconds, workers, 18080)
            curves[mode].append(result)
            print(f"{mode:>6} c={concurrency:<4} {result['per_second']:>8}/s "
                  f"p99 {result['p99_ms']} ms errors {result['errors']}", flush=True)  # fmt: skip
    return curves


async def targets(seconds: float, workers: int) -> dict[str, Any]:
    """Three runs per mode at concurrency 64; the medians are what the targets are read on."""
    summary: dict[str, Any] = {}
    for mode in ("fresh", "hot", "repeat"):
        runs = [await run(mode, "sms", TARGET_CONCURRENCY, seconds, workers, 18080)
                for _ in range(3)]  # fmt: skip
        summary[mode] = {
            "runs": runs,
            "median_per_second": statistics.median(r["per_second"] for r in runs),
            "median_p99_ms": statistics.median(r["p99_ms"] for r in runs),
            "errors": sum(r["errors"] for r in runs),
            "median_ratio_to_pgbench": (
                statistics.median(r["ratio_to_pgbench"] for r in runs)
                if runs[0]["ratio_to_pgbench"] is not None
                else None
            ),
            "draws_recorded_per_request": max(r["draws_recorded_per_request"] for r in runs),
            "postgres_cpu_seconds": max(r["cpu_seconds"]["postgres"] for r in runs),
        }
        print(mode, {k: v for k, v in summary[mode].items() if k != "runs"}, flush=True)
    return summary


def chart(curves: dict[str, Any]) -> None:
    fig, (throughput, p99) = plt.subplots(1, 2, figsize=(11, 4.2))
    for mode, results in curves.items():
        xs = [r["concurrency"] for r in results]
        throughput.plot(xs, [r["per_second"] for r in results], marker="o", label=mode)
        p99.plot(xs, [r["p99_ms"] for r in results], marker="o", label=mode)
    for ax, title in ((throughput, "signed SMS webhooks / s"), (p99, "p99 latency (ms)")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(CONCURRENCY, [str(c) for c in CONCURRENCY])
        ax.set_xlabel("concurrency")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    throughput.legend()
    fig.suptitle("Lucky Draw on 2 cores: server, PostgreSQL, Redis and load generator together")
    fig.tight_layout()
    fig.savefig(RESULTS / "load.png", dpi=110)


async def main(seconds: float, workers: int) -> None:
    curves = await sweep(seconds, workers)
    save("load_sweep", {"workers": workers, "seconds": seconds, "curves": curves})
    chart(curves)
    save("load_targets", await targets(2 * seconds, workers))
    soak = await run("fresh", "sms", 512, 2 * seconds, workers, 18080)
    telegram = await run("fresh", "telegram", TARGET_CONCURRENCY, seconds, workers, 18080)
    save("load_extra", {"fresh_c512": soak, "telegram_fresh_c64": telegram})
    print(json.dumps({"c512_errors": soak["errors"], "telegram_per_second":
                      telegram["per_second"]}))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sys.exit(uvloop.run(main(args.seconds, args.workers)))
