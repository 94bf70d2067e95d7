"""The operators' web console under /console: a channel like sms/ and bot/.

It calls core use cases only (import-linter keeps db/ and the other channels out); app/
builds its `ConsoleDeps`, including "Try it", a callable that answers a text as the SMS
conversation would. Pages are server-rendered Jinja2 templates; htmx (vendored, no other host)
refreshes the live parts. Sign-in, the session cookie, CSRF and the Content-Security-Policy
live in `console.session`.
"""

from console.deps import ConsoleDeps
from console.routes import add_console

__all__ = ["ConsoleDeps", "add_console"]
