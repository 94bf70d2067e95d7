"""The `luckydraw` command line."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
import yaml

from app.bootstrap import Core, open_core
from app.cli_tables import as_json, campaign_stats_table
from app.logs import configure_logging
from app.outbox_cli import Access, outbox_commands
from app.settings import ConfigurationError, Settings
from app.startup import CannotStart
from app.twilio_cli import twilio_cli
from core import verify
from core.errors import InvalidCampaign, LuckyDrawError
from core.model import Channel
from core.phone import parse_phone
from core.validation import campaign_from_mapping
from db.migrate import migrate as apply_migrations
from db.migrate import pending

T = TypeVar("T")
cli = typer.Typer(no_args_is_help=True, help="Lucky Draw service.")
campaign_cli = typer.Typer(no_args_is_help=True, help="Create and watch campaigns.")
staff_cli = typer.Typer(no_args_is_help=True, help="Shop staff who may redeem coupons.")
cli.add_typer(campaign_cli, name="campaign")
cli.add_typer(staff_cli, name="staff")
telegram_cli = typer.Typer(no_args_is_help=True, help="The Telegram bot.")
cli.add_typer(telegram_cli, name="telegram")
cli.add_typer(twilio_cli, name="twilio")


def main() -> None:
    cli()


def _run(
    work: Callable[[Core], Awaitable[T]], *, access: Access, settings: Settings | None = None
) -> T:
    """Build the core, run one piece of work, and turn refusals into a clear exit.

    "write": pending migrations are applied first. "read": the schema is never changed, and a
    schema that is not current is refused. "schema": the work itself is about the schema.
    """
    settings = settings or Settings()
    configure_logging(settings.log_format, "warning")

    async def go() -> T:
        async with open_core(settings, apply_migrations=access == "write") as core:
            if access == "read" and (missing := await pending(core.pool)):
                raise SchemaNotCurrent(missing)
            return await work(core)

    with _refusals():
        return asyncio.run(go())


class SchemaNotCurrent(Exception):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            f"the database schema is not current (pending: {', '.join(missing)});"
            " run `luckydraw migrate` first"
        )


@contextmanager
def _refusals() -> Iterator[None]:
    """A refusal is a one-line message and exit status 2, never a traceback."""
    try:
        yield
    except (LuckyDrawError, ConfigurationError, CannotStart) as exc:
        field = getattr(exc, "field", None)
        typer.echo(f"error: {exc}" + (f" (field: {field})" if field else ""), err=True)
        raise typer.Exit(2) from None
    except SchemaNotCurrent as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


cli.add_typer(outbox_commands(_run), name="outbox")


def load_campaign_file(path: Path) -> Any:
    """YAML or JSON (JSON is YAML); a syntax error is an invalid campaign, not a crash."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidCampaign(f"cannot read {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise InvalidCampaign(f"{path} is not valid YAML or JSON: {exc}") from None


@cli.command()
def migrate() -> None:
    """Apply database migrations (safe to run from several processes at once)."""

    applied = _run(lambda core: apply_migrations(core.pool), access="schema")
    typer.echo("applied: " + (", ".join(applied) if applied else "nothing, schema is current"))


@cli.command()
def chat(phone: str) -> None:
    """Talk to the service as the SMS customer PHONE: each line you type is one text message."""
    from app.sms_wiring import sms_conversation
    from sms.chat import run_chat

    settings = Settings()
    with _refusals():
        customer = _phone(settings, phone)

    async def work(core: Core) -> None:
        await run_chat(sms_conversation(core, Channel.CHAT), customer, sys.stdin, sys.stdout)

    _run(work, access="write", settings=settings)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Overrides HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Overrides PORT.")] = None,
    seed: Annotated[
        Path | None, typer.Option(help="Campaign file to load when there is no campaign yet.")
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, max=32, help="Processes sharing the port (SO_REUSEPORT).")
    ] = 1,
) -> None:
    """Serve HTTP (webhooks, admin API, health) until interrupted."""
    from app.serve import run_server

    settings = Settings()
    if host is not None:
        settings.host = host
    if port is not None:
        settings.port = port
    with _refusals():
        settings.check_serving()
        seed_data = load_campaign_file(seed) if seed else None
    with _refusals():
        run_server(settings, seed=seed_data, workers=workers)


@campaign_cli.command("create")
def campaign_create(file: Path) -> None:
    """Create a campaign from a YAML or JSON file (format in PRODUCT.md)."""
    with _refusals():
        spec = campaign_from_mapping(load_campaign_file(file))
    campaign = _run(lambda core: core.campaigns.create(spec), access="write")
    typer.echo(f"created campaign {campaign.id}: {campaign.name} (keyword {campaign.keyword})")


@campaign_cli.command("list")
def campaign_list() -> None:
    """List every campaign."""
    for c in _run(lambda core: core.campaigns.list(), access="read"):
        typer.echo(
            f"{c.id:>5}  {c.keyword:<16} {c.status.value:<7} {c.starts_at:%Y-%m-%d}"
            f" → {c.ends_at:%Y-%m-%d}  {c.timezone:<20} {c.name}"
        )


@campaign_cli.command("stats")
def campaign_stats(
    campaign_id: int,
    json: Annotated[bool, typer.Option("--json", help="JSON, not a table.")] = False,
) -> None:
    """Draws, wins and per-prize counts for one campaign."""
    stats = _run(lambda core: core.campaigns.stats(campaign_id), access="read")
    typer.echo(as_json(stats) if json else campaign_stats_table(stats))


@campaign_cli.command("pause")
def campaign_pause(campaign_id: int) -> None:
    """Stop draws for now."""
    c = _run(lambda core: core.campaigns.pause(campaign_id, actor="cli"), access="write")
    typer.echo(f"campaign {c.id} is {c.status.value}")


@campaign_cli.command("resume")
def campaign_resume(campaign_id: int) -> None:
    """Allow draws again."""
    c = _run(lambda core: core.campaigns.resume(campaign_id, actor="cli"), access="write")
    typer.echo(f"campaign {c.id} is {c.status.value}")


@campaign_cli.command("end")
def campaign_end(campaign_id: int) -> None:
    """End a campaign for good; its coupons stay valid until they expire."""
    c = _run(lambda core: core.campaigns.end(campaign_id, actor="cli"), access="write")
    typer.echo(f"campaign {c.id} is {c.status.value}")


@staff_cli.command("add")
def staff_add(phone: str, name: Annotated[str | None, typer.Option()] = None) -> None:
    """Let PHONE redeem coupons."""

    settings = Settings()
    with _refusals():
        e164 = _phone(settings, phone)
    staff = _run(lambda core: core.staff.add(e164, name), access="write", settings=settings)
    typer.echo(f"staff added: {staff.phone}")


@staff_cli.command("remove")
def staff_remove(phone: str) -> None:
    """Stop PHONE redeeming coupons."""

    settings = Settings()
    with _refusals():
        e164 = _phone(settings, phone)
    _run(lambda core: core.staff.remove(e164), access="write", settings=settings)
    typer.echo(f"staff removed: {e164}")


@staff_cli.command("list")
def staff_list() -> None:
    """List staff phones."""
    for member in _run(lambda core: core.staff.list(), access="read"):
        typer.echo(f"{member.phone}  {member.name or ''}".rstrip())


def _phone(settings: Settings, raw: str) -> str:
    return parse_phone(raw, settings.default_region)


@telegram_cli.command("set-webhook")
def telegram_set_webhook() -> None:
    """Register PUBLIC_BASE_URL/telegram/webhook (with TELEGRAM_WEBHOOK_SECRET) at Telegram."""
    from app.telegram_wiring import set_webhook  # aiogram is heavy: only for this command

    with _refusals():
        url = asyncio.run(set_webhook(Settings()))
    typer.echo(f"webhook set: {url}")


if __name__ == "__main__":
    main()


@cli.command("verify")
def verify_command(
    source: Annotated[
        str,
        typer.Argument(
            help="a proof URL (/r/KEYWORD/proof or /r/KEYWORD/proof/DAY) or a JSON file"
        ),
    ],
) -> None:
    """Check a published day of draws (or every day an index lists), as verify.py does.

    Needs no database: it runs the standalone verifier (core/verify.py, the file the proof
    page offers for download). Exit status 0 when everything checks out, 1 when not, 2 when
    the proof could not be read.
    """
    status = verify.main([source])
    if status:
        raise typer.Exit(status)
