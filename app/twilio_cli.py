"""`luckydraw twilio set-webhook` and `luckydraw twilio check`: the number's side of the set-up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Annotated, NoReturn, TypeVar

import typer

from app.settings import Settings
from core.errors import InvalidPhone
from core.phone import parse_phone
from sms.number_setup import NumberSetupError, TwilioNumbers, inbound_url, twilio_numbers

T = TypeVar("T")
NumberOption = Annotated[
    str | None,
    typer.Option(help="The Twilio number (default: TWILIO_FROM, when it is a number)."),
]
twilio_cli = typer.Typer(no_args_is_help=True, help="The Twilio number's webhook.")


@twilio_cli.command("set-webhook")
def set_webhook(number: NumberOption = None) -> None:
    """Point the number's incoming SMS at PUBLIC_BASE_URL/sms/inbound (POST)."""
    settings = Settings()
    url = _fail_clearly(lambda: inbound_url(settings.public_base_url))
    phone = _number(settings, number)

    async def work(numbers: TwilioNumbers) -> str:
        pointed = await numbers.point(await numbers.find(phone), url)
        return f"{pointed.phone_number} now sends incoming texts to {pointed.sms_url} (POST)"

    typer.echo(_with_twilio(settings, work))
    typer.echo(_status_callbacks(settings))


@twilio_cli.command("check")
def check(number: NumberOption = None) -> None:
    """Print where the number sends incoming SMS now, and whether that is this service.

    Exits 1 when it points elsewhere."""
    settings = Settings()
    url = _fail_clearly(lambda: inbound_url(settings.public_base_url))
    phone = _number(settings, number)
    webhook = _with_twilio(settings, lambda numbers: numbers.find(phone))
    typer.echo(f"{webhook.phone_number} ({webhook.sid}) sends incoming texts to:")
    typer.echo(f"  {webhook.sms_url or '(nowhere)'} ({webhook.sms_method.upper()})")
    if webhook.sms_application_sid:
        typer.echo(f"  through application {webhook.sms_application_sid}")
    problems = webhook.problems(url)
    if problems:
        typer.echo(f"does not match PUBLIC_BASE_URL ({settings.public_base_url}):")
        for problem in problems:
            typer.echo(f"  - {problem}")
        typer.echo("run `luckydraw twilio set-webhook` to fix it")
        raise typer.Exit(1)
    typer.echo(f"matches PUBLIC_BASE_URL ({settings.public_base_url})")
    typer.echo(_status_callbacks(settings))


def _number(settings: Settings, given: str | None) -> str:
    raw = given or settings.twilio_from
    if not raw:
        _fail("pass --number, or set TWILIO_FROM to the number")
    if raw.startswith("MG"):
        _fail(f"TWILIO_FROM is a messaging service ({raw}): pass --number with one of its numbers")
    return _fail_clearly(lambda: parse_phone(raw, settings.default_region))


def _with_twilio(settings: Settings, work: Callable[[TwilioNumbers], Awaitable[T]]) -> T:
    token = settings.twilio_auth_token
    if not settings.twilio_account_sid or token is None or not token.get_secret_value():
        _fail("set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN first")

    async def go() -> T:
        async with twilio_numbers(
            settings.twilio_account_sid or "",
            token.get_secret_value(),
            settings.twilio_api_base,
            settings.twilio_timeout_seconds,
        ) as numbers:
            return await work(numbers)

    return _fail_clearly(lambda: asyncio.run(go()))


def _status_callbacks(settings: Settings) -> str:
    callback = settings.public_base_url.rstrip("/") + "/sms/status"
    return f"delivery reports: every message the service sends asks for them at {callback}"


def _fail_clearly(step: Callable[[], T]) -> T:
    try:
        return step()
    except (NumberSetupError, InvalidPhone) as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
