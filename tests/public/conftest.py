"""The public pages are served by the whole app, as the admin API and the SMS webhook are."""

from tests.api.conftest import api
from tests.sms.conftest import twilio

__all__ = ["api", "twilio"]
