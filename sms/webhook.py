"""Twilio's webhooks: `POST /sms/inbound` answers TwiML, `POST /sms/status` records delivery.

Both are signed by Twilio; the signature is checked against the public URL Twilio called
(`PUBLIC_BASE_URL` + path + query), so it holds behind a proxy or tunnel.
"""

from __future__ import annotations

import contextlib
import hmac
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import structlog
from aiohttp import web
from multidict import MultiDictProxy
from twilio.request_validator import RequestValidator, add_port, remove_port

from core.deadline import Deadline
from core.errors import InvalidPhone
from core.model import Language
from core.phone import mask, parse_phone
from core.ports import Clock, SmsStore
from core.replies import render
from core.services.people import CustomerService
from sms.commands import MAX_BODY_CHARS, Action, Command, parse
from sms.conversation import Conversation
from sms.twilio_http import UNSUBSCRIBED

log = structlog.get_logger(__name__)
T = TypeVar("T")

# How far along a message is; a late callback never moves it back ("sent" after "delivered").
STATUS_RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "canceled": 4,
    "failed": 4,
    "undelivered": 4,
    "partially_delivered": 4,
    "delivered": 5,
    "read": 6,
}
_MAX_SID_CHARS = 64


@dataclass(frozen=True, slots=True)
class SmsWebhook:
    conversation: Conversation
    store: SmsStore
    customers: CustomerService
    clock: Clock
    auth_token: str | None  # unset: SMS is not configured and the routes answer 503
    public_base_url: str
    default_region: str
    deadline_seconds: float = 8.0  # well under Twilio's 15 s: then the apology, and no draw
    # Counts each apology by reason ("deadline", "error"); the app wires it to /metrics.
    apologised: Callable[[str], None] = lambda reason: None
    # Reports each request refused (reason, path): the app logs it and counts it.
    refused: Callable[[str, str], None] = lambda reason, path: None
    signature: TwilioSignature | None = field(init=False)

    def __post_init__(self) -> None:
        check = TwilioSignature(self.auth_token, self.public_base_url) if self.auth_token else None
        object.__setattr__(self, "signature", check)


class TwilioSignature:
    """X-Twilio-Signature, checked with one HMAC for the known public URL.

    The SDK's `validate` parses the URL and computes two HMACs on every request (the URL
    with and without its default port, as Twilio has signed both ways). Here the public
    base URL is known at start: the URL as configured is tried first, the other form only
    when that fails, so a genuine request costs one HMAC.
    """

    def __init__(self, auth_token: str, public_base_url: str) -> None:
        self._validator = RequestValidator(auth_token)
        base = urlsplit(public_base_url.rstrip("/"))
        configured = base.geturl()
        other = remove_port(base) if base.port else add_port(base)
        self._bases = (configured, other) if other != configured else (configured,)

    def valid(self, path_and_query: str, form: MultiDictProxy[str], signature: str) -> bool:
        given = signature.encode()
        return any(
            hmac.compare_digest(
                self._validator.compute_signature(base + path_and_query, form).encode(), given
            )
            for base in self._bases
        )


SMS_WEBHOOK = web.AppKey("sms_webhook", SmsWebhook)


def add_sms_routes(app: web.Application, webhook: SmsWebhook) -> None:
    app[SMS_WEBHOOK] = webhook
    app.router.add_post("/sms/inbound", _reporting(inbound))
    app.router.add_post("/sms/status", _reporting(delivery_status))


class _Refused(Exception):
    """A request not taken: the HTTP error that says why, and the reason it is counted by."""

    def __init__(self, error: web.HTTPException, reason: str) -> None:
        super().__init__(error.text)
        self.error, self.reason = error, reason


def _reporting(
    handler: Callable[[web.Request], Awaitable[web.Response]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except _Refused as refused:
            request.app[SMS_WEBHOOK].refused(refused.reason, request.path)
            raise refused.error from None

    return handle


async def inbound(request: web.Request) -> web.Response:
    """One text message in, one TwiML reply out; a retried MessageSid gets the same reply."""
    hook = request.app[SMS_WEBHOOK]
    form = await _signed_form(request, hook)
    phone = _phone(form.get("From"), hook.default_region)
    sid = _sid(form.get("MessageSid"))
    body = form.get("Body") or ""
    opt_out_type = (form.get("OptOutType") or "").upper()
    command = parse(body)
    started = time.perf_counter()
    scope = Deadline.after(hook.deadline_seconds)
    try:
        reply = await scope.run(_answer(hook, phone, sid, body, command, opt_out_type))
    except TimeoutError:
        # Never sent: nothing happened, "try again" is true. Sent: the database commits
        # nothing that reaches it after the deadline, but a draw that committed just before
        # may have lost its answer on the way back; the next DRAW restates it.
        unconfirmed = scope.sent
        reason = "unconfirmed" if unconfirmed else "deadline"
        log.warning("sms_inbound_deadline", phone=mask(phone), sid=sid, reason=reason)
        hook.apologised(reason)
        key = "error.unconfirmed" if unconfirmed else "error.temporary"
        return _twiml(render(key, Language.EN))
    except _Unanswered:
        hook.apologised("error")
        return _twiml(render("error.temporary", Language.EN))
    if command.action is not Action.DRAW or opt_out_type:
        # A draw has its own line (the "draw" event, with its outcome): one line a request.
        log.info(
            "sms_inbound",
            phone=mask(phone),
            sid=sid,
            command=command.action.value,
            opt_out_type=opt_out_type or None,
            ms=round((time.perf_counter() - started) * 1000, 1),
        )
    return _twiml(reply)


async def _answer(
    hook: SmsWebhook, phone: str, sid: str, body: str, command: Command, opt_out_type: str
) -> str | None:
    if command.action is Action.DRAW and not opt_out_type:
        # The launch-day hot path: the draw itself records the customer (and that they
        # texted us) and replays a retried MessageSid, in its one database round trip;
        # a repeat is answered from Redis alone.
        return await _converse(hook, phone, command, sid)
    # Twilio's Advanced Opt-Out events are consent evidence: recorded however many come.
    if not opt_out_type:
        # A flood is stopped before any database work (the guard lives in Redis).
        flooded, answer = await _guarded(hook.conversation.flood(phone), phone, sid)
        if flooded:
            return answer
    # Everything else is rare: keep the message and its reply, to replay a retry verbatim.
    stored = await _guarded(
        hook.store.begin_inbound(sid, phone, body[:MAX_BODY_CHARS], hook.clock()), phone, sid
    )
    if stored is not None:
        return stored
    try:
        if opt_out_type:
            # Twilio's Advanced Opt-Out has answered already: record it, add no second reply.
            await _guarded(
                _record_advanced_opt_out(hook.customers, phone, opt_out_type), phone, sid
            )
            reply = None
        else:
            reply = await _converse(hook, phone, command, sid, flood_checked=True)
    except _Unanswered:
        # A retry gets a real answer: now, or once this claim ends at the deadline.
        with contextlib.suppress(Exception):
            await hook.store.release_inbound(sid)
        raise
    await _guarded(hook.store.finish_inbound(sid, reply or "", hook.clock()), phone, sid)
    return reply


class _Unanswered(Exception):
    """The conversation failed; the apology is not stored, so a retry gets a real answer."""


async def _converse(
    hook: SmsWebhook, phone: str, command: Command, sid: str, *, flood_checked: bool = False
) -> str | None:
    answer = hook.conversation.answer(
        phone, command, request_id=f"sms:{sid}", flood_checked=flood_checked
    )
    return await _guarded(answer, phone, sid)


async def _guarded(work: Awaitable[T], phone: str, sid: str) -> T:
    """Any failure (PostgreSQL away, a bug) becomes the one apology path: _Unanswered."""
    try:
        return await work
    except TimeoutError:
        raise  # the deadline: answered by the caller
    except Exception as exc:
        log.exception("sms_inbound_failed", phone=mask(phone), sid=sid)
        raise _Unanswered from exc


async def delivery_status(request: web.Request) -> web.Response:
    """Twilio's status callback for a message we sent."""
    hook = request.app[SMS_WEBHOOK]
    form = await _signed_form(request, hook)
    sid = _sid(form.get("MessageSid"))
    status = (form.get("MessageStatus") or "").lower()
    if status not in STATUS_RANK:
        raise _Refused(
            web.HTTPBadRequest(text=f"unknown MessageStatus {status!r}"), "invalid_status"
        )
    error_code = _error_code(form.get("ErrorCode"))
    try:
        phone = parse_phone(form.get("To") or "", hook.default_region)
    except InvalidPhone:
        phone = None
    await hook.store.record_status(
        sid, phone, status, STATUS_RANK[status], error_code, hook.clock()
    )
    if error_code == UNSUBSCRIBED and phone is not None:
        await hook.customers.opt_out(phone, f"twilio-status:{UNSUBSCRIBED}")
    log.info("sms_status", sid=sid, status=status, error_code=error_code)
    return web.Response(status=204)


async def _signed_form(request: web.Request, hook: SmsWebhook) -> MultiDictProxy[str]:
    """The form Twilio posted, or the HTTP error that says why it is not acceptable."""
    if hook.signature is None:
        text = "SMS is not configured (TWILIO_AUTH_TOKEN unset)"
        raise _Refused(web.HTTPServiceUnavailable(text=text), "not_configured")
    try:
        posted = await request.post()
    except web.HTTPRequestEntityTooLarge as exc:  # over the app's client_max_size
        raise _Refused(exc, "too_large") from None
    except (ValueError, UnicodeDecodeError):
        raise _Refused(web.HTTPBadRequest(text="malformed form body"), "malformed_form") from None
    if not all(isinstance(v, str) for v in posted.values()):
        raise _Refused(web.HTTPBadRequest(text="Twilio posts no files"), "files")
    form: MultiDictProxy[str] = posted  # type: ignore[assignment]  # all str, checked above
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not hook.signature.valid(request.path_qs, form, signature):
        raise _Refused(web.HTTPForbidden(text="invalid Twilio signature"), "bad_signature")
    return form


async def _record_advanced_opt_out(customers: CustomerService, phone: str, kind: str) -> None:
    source = f"twilio-advanced-opt-out:{kind}"
    if kind == "STOP":
        await customers.opt_out(phone, source)
    elif kind == "START":
        await customers.opt_in(phone, source)
    # HELP: Twilio sent its help text; nothing changes.


def _phone(raw: str | None, default_region: str) -> str:
    try:
        return parse_phone(raw or "", default_region)
    except InvalidPhone:
        raise _Refused(
            web.HTTPBadRequest(text="From is not a phone number"), "invalid_from"
        ) from None


def _sid(raw: str | None) -> str:
    if not raw or len(raw) > _MAX_SID_CHARS or not raw.isalnum():
        raise _Refused(web.HTTPBadRequest(text="MessageSid is missing or malformed"), "invalid_sid")
    return raw


def _error_code(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.isdigit():
        raise _Refused(web.HTTPBadRequest(text="ErrorCode is not a number"), "invalid_error_code")
    return int(raw)


_TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'
_TWIML_MESSAGE = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>{}</Message></Response>'


def _twiml(reply: str | None) -> web.Response:
    """TwiML as the SDK's MessagingResponse writes it, without building an XML tree."""
    body = _TWIML_MESSAGE.format(escape(reply)) if reply else _TWIML_EMPTY
    return web.Response(text=body, content_type="text/xml")
