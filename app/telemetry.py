"""What the use cases report: one structured log line and the metrics for each operation.

Implements core.ports.Telemetry. Phones are masked here, before anything leaves the process.
"""

from __future__ import annotations

import structlog

from app.metrics import Metrics
from core.model import Channel, DrawResult, OutgoingMessage, RedeemStatus
from core.phone import mask

log = structlog.get_logger("luckydraw.activity")


class AppTelemetry:
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def drew(self, phone: str, channel: Channel, outcome: str, result: DrawResult | None) -> None:
        self._metrics.draws.labels(channel.value, outcome).inc()
        if result is None:
            log.info("draw", phone=mask(phone), channel=channel.value, outcome=outcome)
            return
        if result.won and not result.replayed:
            self._metrics.coupons_issued.inc()
        log.info(
            "draw",
            phone=mask(phone),
            channel=channel.value,
            outcome=outcome,
            campaign_id=result.campaign_id,
            prize=result.prize_name,
        )

    def redeemed(self, staff_phone: str, status: str, code: str | None) -> None:
        self._metrics.redemptions.labels(status).inc()
        if status == RedeemStatus.REDEEMED:
            self._metrics.coupons_redeemed.inc()
        # The code is a bearer secret until redeemed: log only its last characters.
        log.info(
            "redemption",
            staff=mask(staff_phone),
            status=status,
            code=f"…{code[-4:]}" if code else None,
        )

    def sent(self, message: OutgoingMessage, status: str) -> None:
        self._metrics.messages_sent.labels(message.channel.value, status).inc()
        log.info(
            "send",
            phone=mask(message.phone),
            channel=message.channel.value,
            kind=message.kind.value,
            message_id=message.id,
            status=status,
        )

    def outbox_failed(self, channel: Channel, message_id: int | None, error: Exception) -> None:
        self._metrics.messages_sent.labels(channel.value, "error").inc()
        log.error(
            "outbox_failed",
            channel=channel.value,
            message_id=message_id,
            error=repr(error),
            exc_info=error,
        )

    def refused(self, surface: str, reason: str, **context: object) -> None:
        self._metrics.refusals.labels(surface, reason).inc()
        log.info("refused", surface=surface, reason=reason, **context)
