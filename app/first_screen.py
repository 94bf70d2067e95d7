"""What `luckydraw serve` prints for a person once it listens (console log format only):
where it runs, which campaigns are open, and how to play one from the terminal."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import phonenumbers

from core.model import Campaign


def first_screen(
    base_url: str,
    campaigns: Sequence[Campaign],
    now: datetime,
    region: str,
    console_link: str | None = None,
) -> list[str]:
    """`console_link`: the operator console's sign-in link with this run's own token."""
    open_now = [c for c in campaigns if c.is_open(now)]
    lines = [f"Lucky Draw is running at {base_url} (Ctrl-C stops it)"]
    for c in open_now[:3]:
        until = c.ends_at.astimezone(ZoneInfo(c.timezone))
        lines.append(
            f'  campaign {c.keyword}: "{c.name}", open until {until:%d %b %Y %H:%M} {c.timezone}'
        )
        lines.append(f"    official rules: {base_url}/r/{c.keyword}  (draw log: …/proof)")
    if not open_now:
        lines.append("  no open campaign: luckydraw campaign create FILE (examples/campaign.yaml)")
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    phone = (
        phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
        if example is not None
        else "PHONE"
    )
    lines.append(f"  play from another terminal: {_command()} chat {phone}  (then type DRAW)")
    if console_link is None:
        lines.append(f"  operator console: {base_url}/console (sign in with ADMIN_TOKEN)")
    else:
        lines.append(f"  operator console: {console_link}")
        lines.append("    (a token for this run only: set ADMIN_TOKEN to keep one)")
    lines.append(f"  admin API: {base_url}/api/docs")
    return lines


def _command() -> str:
    """`luckydraw` as the person can type it: relative to the working directory when it is
    inside it (`.venv/bin/luckydraw` after `make run`), else by name."""
    command = Path(sys.executable).parent / "luckydraw"
    try:
        return str(command.relative_to(Path.cwd()))
    except ValueError:
        return "luckydraw"
