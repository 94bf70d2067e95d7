"""`luckydraw twilio set-webhook` and `check`, run as an operator would (the real command line,
in-process: it starts no server), against a local fake Twilio that serves IncomingPhoneNumbers
to the real SDK."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.fakes.twilio_api import FakeTwilio

# The commands run in process and configure logging as the CLI does.
pytestmark = pytest.mark.usefixtures("restored_logging")

ACCOUNT_SID = "AC" + "1" * 32
TOKEN = "number-setup-token"
NUMBER = "+14155550100"
PUBLIC = "https://draw.example.com"
INBOUND = f"{PUBLIC}/sms/inbound"


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwilio]:
    async with FakeTwilio(ACCOUNT_SID, TOKEN) as server:
        yield server


async def luckydraw_twilio(
    fake: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str, **env: str
) -> Done:
    monkeypatch.chdir(tmp_path)  # no developer .env
    settings = {
        "TWILIO_API_BASE": fake.base,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TOKEN,
        "TWILIO_FROM": NUMBER,
        "PUBLIC_BASE_URL": PUBLIC,
        "DEFAULT_REGION": "US",
    } | env
    # In a thread: the command runs its own event loop while this one serves the fake.
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["twilio", *args], env=settings)
    return Done(result.exit_code, result.stdout, result.stderr)


async def test_check_shows_a_foreign_webhook_set_webhook_points_it_here_then_check_agrees(
    fake: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = fake.add_number(NUMBER, sms_url="https://demo.twilio.com/welcome/sms/reply")

    before = await luckydraw_twilio(fake, tmp_path, monkeypatch, "check")
    assert before.returncode == 1, before.stderr
    assert f"{NUMBER} ({sid}) sends incoming texts to:" in before.stdout
    assert "https://demo.twilio.com/welcome/sms/reply (POST)" in before.stdout
    assert f"expected {INBOUND}" in before.stdout

    pointed = await luckydraw_twilio(fake, tmp_path, monkeypatch, "set-webhook")
    assert pointed.returncode == 0, pointed.stderr
    assert (
        pointed.stdout.splitlines()[0] == f"{NUMBER} now sends incoming texts to {INBOUND} (POST)"
    )
    assert f"{PUBLIC}/sms/status" in pointed.stdout
    assert fake.numbers[sid]["sms_url"] == INBOUND
    assert fake.numbers[sid]["sms_method"] == "POST"

    after = await luckydraw_twilio(fake, tmp_path, monkeypatch, "check")
    assert after.returncode == 0, after.stdout
    assert f"matches PUBLIC_BASE_URL ({PUBLIC})" in after.stdout


async def test_an_sms_application_on_the_number_is_reported_and_replaced(
    fake: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = fake.add_number(NUMBER, sms_url=INBOUND, sms_application_sid="AP" + "2" * 32)
    before = await luckydraw_twilio(fake, tmp_path, monkeypatch, "check")
    assert before.returncode == 1
    assert "SMS is handled by application AP222" in before.stdout
    assert (await luckydraw_twilio(fake, tmp_path, monkeypatch, "set-webhook")).returncode == 0
    assert fake.numbers[sid]["sms_application_sid"] == ""


async def test_a_messaging_service_sender_needs_number_and_a_national_number_is_read_in_region(
    fake: FakeTwilio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = fake.add_number(NUMBER)
    service = "MG" + "3" * 32
    refused = await luckydraw_twilio(
        fake, tmp_path, monkeypatch, "set-webhook", TWILIO_FROM=service
    )
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"error: TWILIO_FROM is a messaging service ({service}): pass --number with one of"
        " its numbers"
    )
    done = await luckydraw_twilio(
        fake,
        tmp_path,
        monkeypatch,
        "set-webhook",
        "--number",
        "(415) 555-0100",
        TWILIO_FROM=service,
    )
    assert done.returncode == 0, done.stderr
    assert fake.numbers[sid]["sms_url"] == INBOUND


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({}, ("--number", "+14155550199"), "+14155550199 is not a number of this Twilio account"),
        (
            {"TWILIO_AUTH_TOKEN": "wrong"},
            (),
            "Twilio refused TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN",
        ),
        ({"PUBLIC_BASE_URL": "http://127.0.0.1:8080"}, (), "which Twilio cannot reach"),
        ({"TWILIO_AUTH_TOKEN": ""}, (), "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN first"),
        ({"TWILIO_API_BASE": "http://127.0.0.1:9"}, (), "Twilio is unreachable"),
        ({}, ("--number", "12"), "not a valid phone number"),
    ],
)
async def test_set_webhook_refuses_with_one_clear_line_and_changes_nothing(
    fake: FakeTwilio,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    args: tuple[str, ...],
    message: str,
) -> None:
    sid = fake.add_number(NUMBER, sms_url="https://elsewhere.example.com/sms")
    refused = await luckydraw_twilio(fake, tmp_path, monkeypatch, "set-webhook", *args, **env)
    assert refused.returncode == 2
    assert refused.stderr.startswith("error: ")
    assert message in refused.stderr
    assert "Traceback" not in refused.stderr
    assert fake.numbers[sid]["sms_url"] == "https://elsewhere.example.com/sms"
