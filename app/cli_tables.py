"""What `campaign stats` and `outbox stats` print: a readable table, or JSON with `--json`."""

from __future__ import annotations

import dataclasses
import io
import json

from rich import box
from rich.console import Console
from rich.table import Table

from core.model import CampaignStats, OutboxStats


def as_json(stats: CampaignStats | OutboxStats) -> str:
    return json.dumps(dataclasses.asdict(stats), indent=2, default=str, ensure_ascii=False)


def campaign_stats_table(stats: CampaignStats) -> str:
    table = _table(
        "prize", "issued today", "released today", "daily quota", "issued", "total quota",
        "redeemed",
    )  # fmt: skip
    for p in stats.prizes:
        counts = (
            p.issued_today, p.released_today, p.daily_quota, p.issued, p.total_quota, p.redeemed
        )  # fmt: skip
        table.add_row(p.name, *(f"{n:,}" for n in counts))
    title = (
        f"campaign {stats.campaign_id}: {stats.draws:,} draws ({stats.draws_today:,} today),"
        f" {stats.wins:,} wins"
    )
    return f"{title}\n{_render(table)}"


def outbox_stats_table(stats: OutboxStats) -> str:
    table = _table("channel", "kind", "status", "count")
    for c in stats.counts:
        table.add_row(c.channel.value, c.kind.value, c.status.value, f"{c.count:,}")
    lines = [_render(table) if stats.counts else "the outbox is empty"]
    oldest = f", oldest due since {stats.oldest_due_at.isoformat()}" if stats.oldest_due_at else ""
    lines.append(f"due now: {stats.due_now:,}{oldest}")
    return "\n".join(lines)


def _table(first: str, *numbers: str) -> Table:
    """Text in the first columns, right-aligned counts after them."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column(first)
    for name in numbers:
        table.add_column(name, justify="left" if name in {"kind", "status"} else "right")
    return table


def _render(table: Table) -> str:
    """Plain text (no colours or terminal codes), the same in a terminal, a pipe or a test."""
    out = io.StringIO()
    Console(file=out, width=120, color_system=None, force_terminal=False).print(table)
    return "\n".join(line.rstrip() for line in out.getvalue().splitlines())
