"""Local stand-ins for third-party HTTP APIs, driven by the real client SDKs in tests."""

from typing import Self

from aiohttp import web


class FakeServer:
    """An aiohttp app bound to 127.0.0.1; subclasses supply the routes."""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._runner: web.AppRunner | None = None
        self.base = ""

    def _routes(self) -> list[web.RouteDef]:
        raise NotImplementedError

    async def start(self) -> str:
        """Start serving and return the base URL, e.g. ``http://127.0.0.1:54321``."""
        app = web.Application()
        app.add_routes(self._routes())
        # A client that gave up on a delayed response must not keep stop() waiting
        # for the handler, so handlers are cancelled on disconnect.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()
        host, port = self._runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"
        return self.base

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
