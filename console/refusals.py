"""A console request refused: a page in the operator's language saying what happened and why,
with a way back; logged and counted like every refusal (console.deps.refused).

htmx requests (the live part, the odds preview, Try it) get the same words as a fragment with
status 200, as Try it's errors do: htmx swaps only successful answers, and an unswapped
refusal would say nothing at all.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from aiohttp import web

from console.deps import refused
from console.i18n import noop
from console.render import render

# What refusals say (i18n keys; core's own messages are translated by console.i18n too).
CSRF = noop(
    "This form's security token (CSRF) is missing or out of date, so nothing was done: "
    "reload the page and try again."
)
NOT_FOUND_WHY = noop("The link may be mistyped, or what it names does not exist.")
NO_PAGE = noop("There is no console page at {path}.")
AN_ACTION = noop("{path} is an action: use its button on the console's pages.")
NO_LANGUAGE = noop("There is no console language {lang}: choose en or zh-Hant.")
BAD_PAGE_NUMBER = noop("page must be a whole number from 0")
NOTHING_CHANGED = noop("Nothing was changed.")
TITLES = {400: noop("Not understood"), 403: noop("Not done"), 404: noop("Not found"),
          405: noop("Not done"), 409: noop("Not done")}  # fmt: skip
CAMPAIGN_PATH = re.compile(r"/console/campaigns/(\d+)(?:/|$)")
SECTIONS = (("/console/staff", noop("Back to staff")),
            ("/console/customers", noop("Back to customers")))  # fmt: skip
TO_LIST = ("/console", noop("Back to the campaigns list"))


def refusal(
    request: web.Request,
    reason: str,
    status: int,
    message: str,
    why: str | None = None,
    *,
    fields: dict[str, object] | None = None,
    **context: object,
) -> web.Response:
    """The refusal page (`message` and `why` are i18n keys, `fields` fill them in)."""
    htmx = bool(request.headers.get("HX-Request"))
    answered = 200 if htmx else status
    refused(request, reason, answered, **context)
    back, label = _reload(request) if htmx else _way_back(request.path, status)
    words = {"title": TITLES[status], "message": message, "why": why,
             "fields": fields or {}, "back": back, "back_label": label}  # fmt: skip
    template = "refusal_part.html" if htmx else "refusal.html"
    return render(request, template, words, status=answered)


def _way_back(path: str, status: int) -> tuple[str, str]:
    """The page the request came from, when it surely exists; else the campaigns list."""
    if status == 404:
        return TO_LIST
    if match := CAMPAIGN_PATH.match(path):
        return f"/console/campaigns/{match[1]}", noop("Back to the campaign")
    for section, label in SECTIONS:
        if path == section or path.startswith(section + "/"):
            return section, label
    return TO_LIST


def _reload(request: web.Request) -> tuple[str, str]:
    """For a fragment: the page it is shown in (htmx names it), loaded afresh."""
    url = urlsplit(request.headers.get("HX-Current-URL", ""))
    if url.netloc == request.host and url.path.startswith("/console"):
        return url.path + (f"?{url.query}" if url.query else ""), noop("Reload the page")
    return TO_LIST
