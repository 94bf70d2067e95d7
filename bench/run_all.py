"""`make bench`: the targets of issue 16, read as ratios of runs made side by side.

Three rounds; each round runs, one after another at concurrency 64 on `serve --workers 2`:
fresh SMS draws (with pgbench on the same `ld_draw` transaction right after), repeat SMS
spam, fresh Telegram `/draw` updates, and fresh SMS draws through PgBouncer. Every ratio is
taken within a round (so the machine's other work weighs on both sides alike), and the
median of the three rounds is reported. Then one fresh run at concurrency 1 (latency).
`--sweep` adds the old concurrency sweep (1-128, every mode) and its chart.

Writes bench/results/load_targets.json and bench/results/load.png. About 12-15 minutes on a
busy 2-core machine; every run is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import socket
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
ROUND1 = RESULTS / "load_targets_round1.json"
# The `make bench` before this one (round 3), shown beside it in the chart.
PREVIOUS = RESULTS / "load_targets_round3.json"


def _free_port() -> int:
    """A port of the run's own: with SO_REUSEPORT, two services on one port would share it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _per_draw_ms(result: dict[str, Any], part: str) -> float:
    return 1000 * result["cpu_seconds"][part] / max(1, result["requests"])


def _service_ms(result: dict[str, Any]) -> float:
    """CPU of the service per request: server, PostgreSQL, Redis (and PgBouncer), not the
    load generator. A dedicated machine serves about cores / this many requests a second."""
    return sum(_per_draw_ms(result, p) for p in result["cpu_seconds"] if p != "load_generator")


def _round_ratios(r: dict[str, dict[str, Any]]) -> dict[str, float]:
    """Throughput ratios, and the same read from CPU per request ("by_cpu"): on a machine
    shared with other work, runs a minute apart see different loads, CPU cost much less so."""
    fresh, bounced = r["fresh"], r["fresh_pgbouncer"]
    server_ms, postgres_ms = _per_draw_ms(fresh, "server"), _per_draw_ms(fresh, "postgres")
    fresh_ms = _service_ms(fresh)
    return {
        "fresh_to_pgbench": fresh["ratio_to_pgbench"],
        "server_to_postgres_cpu_per_draw": round(server_ms / postgres_ms, 2),
        "telegram_to_fresh": round(r["telegram"]["per_second"] / fresh["per_second"], 2),
        "repeat_to_fresh": round(r["repeat"]["per_second"] / fresh["per_second"], 2),
        "pgbouncer_to_direct": round(bounced["per_second"] / fresh["per_second"], 2),
        "pgbouncer_server_cpu_per_draw_to_direct": round(
            _per_draw_ms(bounced, "server") / server_ms, 2
        ),
        "telegram_to_fresh_by_cpu": round(fresh_ms / _service_ms(r["telegram"]), 2),
        "repeat_to_fresh_by_cpu": round(fresh_ms / _service_ms(r["repeat"]), 2),
        "pgbouncer_to_direct_by_cpu": round(fresh_ms / _service_ms(bounced), 2),
    }


async def targets(seconds: float, workers: int) -> dict[str, Any]:
    rounds = []
    for i in range(3):
        r = {
            "fresh": await run("fresh", "sms", TARGET_CONCURRENCY, seconds, workers, _free_port()),
            "repeat": await run(
                "repeat", "sms", TARGET_CONCURRENCY, seconds, workers, _free_port(), pgbench=False
            ),
            "telegram": await run(
                "fresh",
                "telegram",
                TARGET_CONCURRENCY,
                seconds,
                workers,
                _free_port(),
                pgbench=False,
            ),
            "fresh_pgbouncer": await run(
                "fresh",
                "sms",
                TARGET_CONCURRENCY,
                seconds,
                workers,
                _free_port(),
                pgbouncer=True,
                pgbench=False,
            ),
        }
        ratios = _round_ratios(r)
        rounds.append({"runs": r, "ratios": ratios})
        print(f"round {i + 1}", {k: v["per_second"] for k, v in r.items()}, ratios, flush=True)
    single = await run("fresh", "sms", 1, seconds, workers, _free_port(), pgbench=False)
    return summary(rounds, single, seconds, workers)


def summary(
    rounds: list[dict[str, Any]], single: dict[str, Any], seconds: float, workers: int
) -> dict[str, Any]:
    for rd in rounds:  # again: --recompute reads saved rounds with the ratios of today
        rd["ratios"] = _round_ratios(rd["runs"])
    medians = {
        name: statistics.median(rd["ratios"][name] for rd in rounds) for name in rounds[0]["ratios"]
    }
    per_second = {
        kind: statistics.median(rd["runs"][kind]["per_second"] for rd in rounds)
        for kind in rounds[0]["runs"]
    }
    cpu_ms = {
        kind: {
            part: round(statistics.median(_per_draw_ms(rd["runs"][kind], part) for rd in rounds), 2)
            for part in rounds[0]["runs"][kind]["cpu_seconds"]
        }
        for kind in rounds[0]["runs"]
    }
    return {
        "concurrency": TARGET_CONCURRENCY,
        "workers": workers,
        "seconds": seconds,
        "median_ratios": medians,
        "median_per_second": per_second,
        "median_cpu_ms_per_request": cpu_ms,
        "median_p50_ms": {
            kind: statistics.median(rd["runs"][kind]["p50_ms"] for rd in rounds)
            for kind in rounds[0]["runs"]
        },
        "median_p99_ms": {
            kind: statistics.median(rd["runs"][kind]["p99_ms"] for rd in rounds)
            for kind in rounds[0]["runs"]
        },
        "errors": sum(run["errors"] for rd in rounds for run in rd["runs"].values()),
        "invariants_checked": sum(1 for rd in rounds for run in rd["runs"].values()),
        "repeat_draws_recorded_per_request": max(
            rd["runs"]["repeat"]["draws_recorded_per_request"] for rd in rounds
        ),
        "concurrency_1": {k: single[k] for k in ("per_second", "p50_ms", "p99_ms", "errors")},
        "note": "the service, PostgreSQL, Redis, PgBouncer and the load generator share the"
        " machine's cores; absolute figures move with its other work: read the ratios, each"
        " taken within one round, median of three rounds",
        "rounds": rounds,
    }


def _round1_ratios() -> dict[str, float]:
    """The same ratios from the previous `make bench` (round 1, idle machine), for the chart."""
    old = json.loads(ROUND1.read_text())
    telegram = json.loads((RESULTS / "load_extra_round1.json").read_text())["telegram_fresh_c64"]

    def median_ms(runs: list[dict[str, Any]], parts: tuple[str, ...]) -> float:
        return statistics.median(sum(_per_draw_ms(r, p) for p in parts) for r in runs)

    service = ("server", "postgres", "redis")
    fresh_ms = median_ms(old["fresh"]["runs"], service)
    fresh_per_second = old["fresh"]["median_per_second"]
    return {
        "fresh_to_pgbench": old["fresh"]["median_ratio_to_pgbench"],
        "server_to_postgres_cpu_per_draw": round(
            median_ms(old["fresh"]["runs"], ("server",))
            / median_ms(old["fresh"]["runs"], ("postgres",)),
            2,
        ),
        "telegram_to_fresh": round(telegram["per_second"] / fresh_per_second, 2),
        "repeat_to_fresh": round(old["repeat"]["median_per_second"] / fresh_per_second, 2),
        "telegram_to_fresh_by_cpu": round(fresh_ms / median_ms([telegram], service), 2),
        "repeat_to_fresh_by_cpu": round(fresh_ms / median_ms(old["repeat"]["runs"], service), 2),
    }


GOALS = {
    "fresh_to_pgbench": (0.5, "≥"),
    "server_to_postgres_cpu_per_draw": (1.0, "≤"),
    "telegram_to_fresh": (0.8, "≥"),
    "repeat_to_fresh": (3.0, "≥"),
}


def chart(now: dict[str, float]) -> None:
    """Round 1 (before issue 16), the previous `make bench` and this run, per target; by CPU
    too where it applies."""
    before = _round1_ratios()
    previous = json.loads(PREVIOUS.read_text())["median_ratios"]
    fig, axes = plt.subplots(1, len(GOALS), figsize=(14, 3.8))
    for ax, (name, (goal, sense)) in zip(axes, GOALS.items(), strict=True):
        labels = ["round 1", "previous", "now"]
        values = [before[name], previous[name], now[name]]
        colours = ["#bbbbbb", "#9db6d8", "#3b7dd8"]
        if f"{name}_by_cpu" in now:
            labels += ["round 1\nby CPU", "previous\nby CPU", "now\nby CPU"]
            values += [before[f"{name}_by_cpu"], previous[f"{name}_by_cpu"], now[f"{name}_by_cpu"]]
            colours += ["#dddddd", "#c9d8ec", "#8fb3e8"]
        ax.bar_label(ax.bar(labels, values, color=colours), fmt="%.2f")
        ax.axhline(goal, color="#c0392b", linestyle="--", linewidth=1)
        ax.set_title(f"{name.replace('_', ' ')}\ntarget {sense} {goal}", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(
        "Issue 16 targets: ratios within one run (median of 3 rounds), before issue 16"
        " (round 1), the previous make bench (round 3) and now"
    )
    fig.tight_layout()
    fig.savefig(RESULTS / "load.png", dpi=110)


async def sweep(seconds: float, workers: int) -> dict[str, Any]:
    curves: dict[str, list[dict[str, Any]]] = {m: [] for m in MODES}
    for mode in MODES:
        for concurrency in CONCURRENCY:
            result = await run(mode, "sms", concurrency, seconds, workers, _free_port())
            curves[mode].append(result)
            print(f"{mode:>6} c={concurrency:<4} {result['per_second']:>8}/s "
                  f"p99 {result['p99_ms']} ms errors {result['errors']}", flush=True)  # fmt: skip
    return curves


async def main(seconds: float, workers: int, with_sweep: bool, recompute: bool) -> None:
    if recompute:  # the saved runs, summarised again (no load is run)
        saved = json.loads((RESULTS / "load_targets.json").read_text())
        result = summary(saved["rounds"], saved["concurrency_1"], saved["seconds"], workers)
        save("load_targets", result)
        chart(result["median_ratios"])
        return
    if with_sweep:
        save("load_sweep", {"workers": workers, "seconds": seconds,
                            "curves": await sweep(seconds, workers)})  # fmt: skip
    result = await targets(seconds, workers)
    save("load_targets", result)
    chart(result["median_ratios"])
    print(json.dumps({k: result[k] for k in ("median_ratios", "median_per_second", "errors")},
                     indent=2))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--recompute", action="store_true", help="re-read load_targets.json")
    args = parser.parse_args()
    sys.exit(uvloop.run(main(args.seconds, args.workers, args.sweep, args.recompute)))
