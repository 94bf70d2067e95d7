"""The twilio SDK's async HTTP client, pointed at TWILIO_API_BASE.

The SDK's base URL is fixed to api.twilio.com; rewriting it here (rather than patching the SDK)
lets a local Twilio-compatible server stand in for tests and local runs.
"""

from __future__ import annotations

from contextvars import ContextVar

from aiohttp import encode_basic_auth
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response

TWILIO_API = "https://api.twilio.com"
UNSUBSCRIBED = 21610  # Twilio error: the recipient replied STOP to this sender
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
# The token of the request being made in this task (the SDK's create() takes no headers).
idempotency_token: ContextVar[str | None] = ContextVar("twilio_idempotency_token", default=None)


class RedirectingTwilioHttpClient(AsyncTwilioHttpClient):  # type: ignore[misc]  # untyped SDK
    def __init__(self, base: str = TWILIO_API) -> None:
        super().__init__()
        self.base = base.rstrip("/")

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's signature; callers enforce theirs
        allow_redirects: bool = False,
    ) -> Response:
        # A ready-made header avoids aiohttp 3.14's BasicAuth DeprecationWarning (twilio #931).
        if auth is not None:
            headers = {**(headers or {}), "Authorization": encode_basic_auth(*auth)}
        token = idempotency_token.get()
        if token is not None:
            headers = {**(headers or {}), IDEMPOTENCY_HEADER: token}
        if url.startswith(TWILIO_API):
            url = self.base + url[len(TWILIO_API) :]
        response: Response = await super().request(
            method, url, params, data, headers, None, timeout, allow_redirects
        )
        return response
