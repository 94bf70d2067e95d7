"""What a newcomer copies from the README works on the service `make run` starts."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import typer

from app.bootstrap import Core
from app.cli import cli, load_campaign_file
from app.serve import dated_from_today
from tests.api.conftest import Client, call
from tests.helpers import spec

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


async def test_the_admin_api_example_creates_a_campaign_beside_the_seeded_demo(
    services: Core, api: Client
) -> None:
    demo = dated_from_today(
        load_campaign_file(ROOT / "examples" / "campaign.yaml"), services.clock()
    )
    await services.campaigns.create(spec(demo))
    example = _section("Admin API")
    body = json.loads(re.search(r"/api/campaigns \\\n.*?-d '(\{.*?\})'", example, re.S)[1])  # type: ignore[index]

    created = await call(api, "POST", "/api/campaigns", 201, body)

    assert f'"id": {created["id"]}' in example
    draw = json.loads(re.search(r"/api/draws .*?-d '(\{.*?\})'", example, re.S)[1])  # type: ignore[index]
    won_or_not = await call(api, "POST", "/api/draws", 201, draw)
    assert won_or_not["keyword"] == created["keyword"]


def _commands(group: click.Group, prefix: str) -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
        else:
            found.append((f"{prefix} {name}", command))
    return found


def test_the_readme_lists_every_command_and_option() -> None:
    listed = _section("Command line")
    missing = []
    for path, command in _commands(typer.main.get_group(cli), "luckydraw"):
        group, _, name = path.rpartition(" ")
        # `campaign pause|resume|end ID` lists three commands on one line
        if not re.search(rf"{re.escape(group)} (\S+\|)*{re.escape(name)}\b", listed):
            missing.append(path)
        missing += [
            f"{path} {opt}"
            for param in command.params
            for opt in param.opts
            if opt.startswith("--") and opt != "--help" and opt not in listed
        ]
    assert missing == []
