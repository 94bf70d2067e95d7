"""PROOF: a customer's entry reference and where the day's proof is published."""

from __future__ import annotations

from structlog.testing import capture_logs

from app.bootstrap import Core
from core import proof
from db.proofs import PgProofStore
from tests.helpers import campaign_data, counted, spec, sure_loss
from tests.twilio_client import CUSTOMER, Twilio


async def test_proof_answers_the_reference_the_draw_reply_gave_and_the_link(
    services: Core, twilio: Twilio
) -> None:
    campaign = await services.campaigns.create(spec(sure_loss()))
    drew = (await twilio.text("DRAW")).reply
    reply = (await twilio.text("proof")).reply
    chain = await PgProofStore(services.pool).chain(campaign.id)
    assert chain is not None
    reference = proof.reference_of(proof.entry_of(chain.entry_key, CUSTOMER))
    assert drew.endswith(f"Proof ref: {reference}")
    assert reply == (
        f"Your proof ref in Winter Lucky Draw: {reference}. Each day's draws are published with "
        "their proof after midnight: https://luckydraw.example.com/r/WINTER/proof"
    )
    assert CUSTOMER.lstrip("+") not in reply


async def test_proof_names_a_campaign_by_keyword_or_asks_which(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(campaign_data(keyword="WINTER")))
    await services.campaigns.create(spec(campaign_data(keyword="SPRING", name="Spring Draw")))
    assert (await twilio.text("PROOF")).reply.startswith("Several draws are on: SPRING, WINTER")
    assert "/r/SPRING/proof" in (await twilio.text("proof spring")).reply
    assert (await twilio.text("PROOF NOPE")).reply.startswith("There is no draw called NOPE")
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 0


async def test_a_refused_rules_or_proof_is_logged_with_its_reason_and_counted(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(campaign_data()))
    before = counted(services.metrics.registry, "sms", "not_found")
    with capture_logs() as logs:
        assert (await twilio.text("RULES NOPE")).reply.startswith("There is no draw called NOPE")
        assert (await twilio.text("PROOF NOPE")).reply.startswith("There is no draw called NOPE")
    refused = [(e["reason"], e["command"]) for e in logs if e["event"] == "refused"]
    assert refused == [("not_found", "rules"), ("not_found", "proof")]
    assert counted(services.metrics.registry, "sms", "not_found") == before + 2
