"""`luckydraw outbox stats` and `luckydraw outbox retry-dead`, for operators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from app.bootstrap import Services
from app.cli_tables import as_json, outbox_stats_table

Runner = Callable[[Callable[[Services], Awaitable[Any]]], Any]


def outbox_commands(run: Runner) -> typer.Typer:
    """The `outbox` command group; `run` builds the services and runs one piece of work."""
    commands = typer.Typer(no_args_is_help=True, help="The outbox of outgoing messages.")

    @commands.command("stats")
    def stats(
        json: Annotated[bool, typer.Option("--json", help="JSON, not a table.")] = False,
    ) -> None:
        """Messages by channel, kind and status, and how many are due now."""
        found = run(lambda s: s.outbox.service.stats())
        typer.echo(as_json(found) if json else outbox_stats_table(found))

    @commands.command("retry-dead")
    def retry_dead() -> None:
        """Give every dead message a fresh set of attempts, due now."""
        revived = run(lambda s: s.outbox.service.retry_dead())
        typer.echo(f"{revived} dead message(s) queued again")

    return commands
