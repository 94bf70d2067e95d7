"""Every setting is documented where a newcomer looks, and `.env.example` loads as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
# A setting in `.env.example`, commented out or not: `# NAME=value` or `NAME=value`.
SETTING_LINE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
# Settings read straight from the environment outside Settings (bench scripts).
ENVIRON_READ = re.compile(r"""environ(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]*)["']""")


def _setting_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def _environ_names() -> set[str]:
    """Variables the service and the bench read directly (tests excluded: they are not settings)."""
    sources = [
        p for p in ROOT.glob("*/**/*.py") if p.parts[len(ROOT.parts)] not in {"tests", ".venv"}
    ]
    return {name for path in sources for name in ENVIRON_READ.findall(path.read_text())}


def test_every_setting_is_in_env_example() -> None:
    listed = {
        m[1] for line in ENV_EXAMPLE.read_text().splitlines() if (m := SETTING_LINE.match(line))
    }
    assert _setting_names() - listed == set()


def test_every_setting_and_environment_variable_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = {name for name in _setting_names() | _environ_names() if f"`{name}`" not in readme}
    assert missing == set()


def test_env_example_with_every_line_uncommented_builds_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = []
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = SETTING_LINE.match(line)
        lines.append(f"{match[1]}={match[2]}" if match else line)
        if match:
            monkeypatch.delenv(match[1], raising=False)  # the file, not this shell, is tested
    uncommented = tmp_path / ".env"
    uncommented.write_text("\n".join(lines) + "\n")

    settings = Settings(_env_file=uncommented)  # type: ignore[call-arg]

    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/luckydraw"
    assert settings.outbox_max_attempts == 6
    assert settings.scheduler is True
    assert settings.twilio_from == "+15551234567"


def test_a_comment_after_a_value_would_be_caught(tmp_path: Path) -> None:
    """The check above can fail: a value followed by prose is not a valid setting."""
    bad = tmp_path / ".env"
    bad.write_text("OUTBOX_MAX_ATTEMPTS=6       (then a message is dead)\n")
    with pytest.raises(ValueError, match="outbox_max_attempts"):
        Settings(_env_file=bad)  # type: ignore[call-arg]


def test_links_in_replies_follow_the_local_port_unless_a_public_url_is_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`PORT=8081 make run`: the rules and proof links a customer is sent must work."""
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    local = Settings(_env_file=None, port=8081)  # type: ignore[call-arg]
    assert local.public_base_url == "http://127.0.0.1:8081"
    public = Settings(_env_file=None, port=8081, public_base_url="https://draw.example.com")  # type: ignore[call-arg]
    assert public.public_base_url == "https://draw.example.com"
