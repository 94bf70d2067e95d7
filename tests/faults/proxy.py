"""A small TCP proxy that can black-hole a connection: bytes are held, not refused.

While black-holed, what either side sends waits in the proxy (and then in the kernel's
buffers), as on a network path that silently stopped delivering; `release` delivers it all,
late. New connections are accepted and held the same way.
"""

from __future__ import annotations

import asyncio
import contextlib


class BlackHoleProxy:
    def __init__(self, target_port: int) -> None:
        self._target = target_port
        self._open = asyncio.Event()
        self._open.set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._trigger: bytes | None = None
        self.port = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def black_hole(self) -> None:
        self._open.clear()

    def black_hole_on(self, marker: bytes) -> None:
        """Black-hole from the first bytes the client sends that contain `marker` (those
        bytes included): e.g. a statement's text, so it has left but never arrives."""
        self._trigger = marker

    def release(self) -> None:
        self._trigger = None
        self._open.set()

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
        await self._server.wait_closed()

    async def _accept(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self._target)
        except OSError:
            client_w.close()
            return
        self._writers |= {client_w, server_w}
        for reader, writer, upstream in ((client_r, server_w, True), (server_r, client_w, False)):
            task = asyncio.create_task(self._pipe(reader, writer, upstream))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: bool
    ) -> None:
        try:
            while data := await reader.read(65536):
                if upstream and self._trigger is not None and self._trigger in data:
                    self.black_hole()
                await self._open.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()
