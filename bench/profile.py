"""Where a worker's CPU goes: py-spy's collapsed stacks (`bench.load --profile FILE`) summed
into the parts of a request, as shares of the samples in which the worker was busy.

    .venv/bin/python -m bench.profile FILE [--top 25]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

# A sample counts towards the first part whose marker appears in its stack (innermost first).
PARTS = {
    "twilio signature": ("request_validator",),
    "form parsing": ("web_request.py:post", "BaseRequest.post", "multidict"),
    "redis": ("redis/",),
    "asyncpg": ("asyncpg/",),
    "twiml": ("twiml",),
    "logging": ("structlog/", "logging/"),
    "metrics": ("prometheus_client/",),
    "aiogram": ("aiogram/", "pydantic"),
    "draw core": ("core/",),
    "aiohttp": ("aiohttp/",),
}
IDLE = ("select (", "epoll", "_run_once (asyncio", "run_forever")


def summarise(path: Path, top: int) -> dict[str, object]:
    stacks: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack:
            stacks[stack] += int(count)
    total = sum(stacks.values())
    parts: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = stack.split(";")
        own[frames[-1]] += count
        for frame in reversed(frames):
            part = next((p for p, marks in PARTS.items() if any(m in frame for m in marks)), None)
            if part is not None:
                parts[part] += count
                break
        else:
            parts["other"] += count
    return {
        "samples": total,
        "parts_percent": {p: round(100 * n / total, 1) for p, n in parts.most_common()},
        "hottest_frames_percent": {f: round(100 * n / total, 1) for f, n in own.most_common(top)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(json.dumps(summarise(args.file, args.top), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
