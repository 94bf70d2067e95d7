"""Structured logs: JSON lines in production, readable console lines locally."""

from __future__ import annotations

import logging

import structlog


def configure_logging(fmt: str, level: str = "info") -> None:
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        # Not cached on first use: a cached logger keeps the configuration it first saw, so a
        # later configure (or a test's capture) would never reach it; the saving is a few µs.
    )
    logging.basicConfig(level=level.upper(), format="%(message)s")
    # pgserver logs each command it runs (initdb, pg_ctl, their output) at INFO: noise on the
    # first screen of `make run`, kept for LOG_LEVEL=debug.
    debug = level.lower() == "debug"
    logging.getLogger("pgserver").setLevel(logging.DEBUG if debug else logging.WARNING)
