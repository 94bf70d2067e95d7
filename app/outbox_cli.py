"""`luckydraw outbox stats` and `luckydraw outbox retry-dead`, for operators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Literal, Protocol, TypeVar

import typer

from app.bootstrap import Core
from core.model import OutboxStats

T = TypeVar("T")
Access = Literal["read", "write", "schema"]  # see app.cli._run


class Runner(Protocol):
    """`app.cli._run`: builds the core, runs one piece of work, answers its result."""

    def __call__(self, work: Callable[[Core], Awaitable[T]], *, access: Access) -> T: ...


def outbox_commands(run: Runner) -> typer.Typer:
    """The `outbox` command group; `run` builds the core and runs one piece of work."""
    commands = typer.Typer(no_args_is_help=True, help="The outbox of outgoing messages.")

    @commands.command("stats")
    def stats() -> None:
        """Messages by channel, kind and status, and how many are due now."""
        typer.echo(format_stats(run(lambda core: core.outbox.stats(), access="read")))

    @commands.command("retry-dead")
    def retry_dead() -> None:
        """Give every dead message a fresh set of attempts, due now."""
        revived = run(_retry_dead, access="write")
        typer.echo(f"{revived} dead message(s) queued again")

    return commands


async def _retry_dead(core: Core) -> int:
    return await core.outbox.retry_dead()


def format_stats(stats: OutboxStats) -> str:
    lines = [f"{'channel':<9} {'kind':<14} {'status':<8} {'count':>8}"]
    lines += [
        f"{c.channel.value:<9} {c.kind.value:<14} {c.status.value:<8} {c.count:>8}"
        for c in stats.counts
    ]
    if not stats.counts:
        lines.append("(the outbox is empty)")
    oldest = f", oldest due since {stats.oldest_due_at.isoformat()}" if stats.oldest_due_at else ""
    lines.append(f"due now: {stats.due_now}{oldest}")
    return "\n".join(lines)
