"""Local use without ADMIN_TOKEN: a token for this run only, and a link that signs in with it."""

from __future__ import annotations

from pydantic import SecretStr

from app.console_wiring import with_local_token
from app.settings import Settings


def local(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_embedded_servers_without_a_token_get_a_random_one_and_a_sign_in_link() -> None:
    settings, link = with_local_token(local(port=8123))
    assert settings.admin_token is not None
    token = settings.admin_token.get_secret_value()
    assert len(token) >= 32
    assert link == f"http://127.0.0.1:8123/console/signin?token={token}"
    again, _ = with_local_token(local(port=8123))
    assert again.admin_token is not None
    assert again.admin_token.get_secret_value() != token  # per run


def test_a_configured_token_or_real_servers_are_left_alone() -> None:
    configured = local(admin_token=SecretStr("x" * 40))
    assert with_local_token(configured) == (configured, None)
    production = local(database_url="postgresql://db/x", redis_url="redis://r")
    settings, link = with_local_token(production)
    assert (settings.admin_token, link) == (None, None)
