"""The whole app in a test server, as in tests/api."""

from tests.api.conftest import api

__all__ = ["api"]
