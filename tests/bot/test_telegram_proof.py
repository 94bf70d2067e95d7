"""/proof in Telegram: the same reference as by SMS (one customer), and the link."""

from __future__ import annotations

from app.bootstrap import Core
from tests.bot.conftest import TelegramUser
from tests.helpers import spec, sure_loss
from tests.twilio_client import Twilio


async def test_proof_on_telegram_gives_the_reference_sms_gives(
    ann: TelegramUser, sms: Twilio, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    assert await ann.send("/draw") == 200
    reference = ann.last.split("Proof ref: ")[1]
    assert await ann.send("/proof") == 200
    assert ann.last.startswith(f"Your proof ref in Winter Lucky Draw: {reference}.")
    assert ann.last.endswith("https://luckydraw.example.com/r/WINTER/proof")
    assert reference in (await sms.text("PROOF")).reply
