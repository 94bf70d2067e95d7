"""`luckydraw outbox stats` and `luckydraw outbox retry-dead`, for operators."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal, Protocol, TypeVar

import typer

from app.bootstrap import Core
from app.cli_tables import as_json, outbox_stats_table

T = TypeVar("T")
Access = Literal["read", "write", "schema"]  # see app.cli._run


class Runner(Protocol):
    """`app.cli._run`: builds the core, runs one piece of work, answers its result."""

    def __call__(self, work: Callable[[Core], Awaitable[T]], *, access: Access) -> T: ...


def outbox_commands(run: Runner) -> typer.Typer:
    """The `outbox` command group; `run` builds the core and runs one piece of work."""
    commands = typer.Typer(no_args_is_help=True, help="The outbox of outgoing messages.")

    @commands.command("stats")
    def stats(
        json: Annotated[bool, typer.Option("--json", help="JSON, not a table.")] = False,
    ) -> None:
        """Messages by channel, kind and status, and how many are due now."""
        found = run(lambda core: core.outbox.stats(), access="read")
        typer.echo(as_json(found) if json else outbox_stats_table(found))

    @commands.command("retry-dead")
    def retry_dead() -> None:
        """Give every dead message a fresh set of attempts, due now."""
        revived = run(_retry_dead, access="write")
        typer.echo(f"{revived} dead message(s) queued again")

    return commands


async def _retry_dead(core: Core) -> int:
    return await core.outbox.retry_dead()
