"""Every SMS command and its reply, in English and Traditional Chinese, through the webhook."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.bootstrap import Core
from core.model import Channel
from tests.conftest import FakeClock
from tests.helpers import campaign_data, spec, sure_loss, sure_win
from tests.twilio_client import CUSTOMER, Twilio

HINT = (
    "Sorry, I didn't get that. Reply DRAW to play, COUPONS for your codes, HELP for info, "
    "STOP to opt out."
)


async def test_a_winning_draw_names_prize_code_expiry_and_next_draw(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_win(valid_days=7)))
    reply = (await twilio.text("draw")).reply
    code = reply.split("Your code: ")[1][:11]
    reference = reply.split("Proof ref: ")[1]
    assert reply == (
        f"You won Free Coffee in Winter Lucky Draw! Your code: {code}, valid until 17 Dec 2026. "
        f"Show it at the till. Next draw from 11 Dec 00:00. Proof ref: {reference}"
    )
    assert len(reference) == 8


async def test_a_losing_draw_says_when_the_next_draw_opens(services: Core, twilio: Twilio) -> None:
    await services.campaigns.create(spec(sure_loss()))
    reply = (await twilio.text("DRAW")).reply
    assert reply.startswith(
        "No prize this time in Winter Lucky Draw. Your next draw opens 11 Dec 00:00. Good luck! "
        "Proof ref: "
    )


async def test_a_second_draw_the_same_day_says_already_no_prize_and_when_the_next_opens(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await twilio.text("DRAW")
    reply = (await twilio.text("DRAW")).reply
    assert reply == (
        "You already drew today in Winter Lucky Draw: no prize this time. "
        "Your next draw opens 11 Dec 00:00."
    )


async def test_a_second_draw_the_same_day_restates_todays_prize_and_code(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_win()))
    first = (await twilio.text("DRAW")).reply
    code = first.split("Your code: ")[1][:11]
    reply = (await twilio.text("DRAW")).reply
    assert reply == (
        f"You already drew today in Winter Lucky Draw and won Free Coffee: code {code}, "
        "valid until 17 Dec 2026. Next draw from 11 Dec 00:00."
    )


async def test_a_win_whose_answer_never_arrived_is_shown_by_the_next_draw_even_without_redis(
    services: Core, twilio: Twilio
) -> None:
    """The draw committed but its answer was lost: the repeat reads it from PostgreSQL."""
    campaign = await services.campaigns.create(spec(sure_win()))
    await services.draws.draw(CUSTOMER, Channel.SMS, request_id="sms:lost-answer")
    code = await services.pool.fetchval("SELECT code FROM coupon")
    await services.draw_gate.forget(CUSTOMER)
    reply = (await twilio.text("DRAW")).reply
    assert f"won Free Coffee: code {code}" in reply
    assert campaign.name in reply


async def test_the_next_day_in_the_campaigns_zone_allows_a_new_draw(
    services: Core, twilio: Twilio, clock: FakeClock
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await twilio.text("DRAW")
    clock.set(datetime(2026, 12, 10, 16, 0, tzinfo=UTC))  # midnight in Hong Kong
    assert (await twilio.text("DRAW")).reply.startswith("No prize this time")


async def test_draw_with_several_campaigns_open_lists_their_keywords(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await services.campaigns.create(spec(sure_loss(keyword="SPRING", name="Spring Draw")))
    reply = (await twilio.text("DRAW")).reply
    assert reply == (
        "Several draws are on: SPRING, WINTER. Reply DRAW and one of them, e.g. DRAW SPRING."
    )
    assert (await twilio.text("draw spring")).reply.startswith("No prize this time in Spring Draw")


async def test_draw_with_an_unknown_keyword_or_no_campaign_says_so(
    services: Core, twilio: Twilio
) -> None:
    no_campaign = (await twilio.text("DRAW")).reply
    assert no_campaign == "No lucky draw is running right now. Please try again later."
    await services.campaigns.create(spec(sure_loss()))
    assert (await twilio.text("DRAW SUMMER")).reply == (
        "There is no draw called SUMMER. Reply DRAW to play."
    )


async def test_draw_in_a_paused_campaign_says_it_is_not_open(
    services: Core, twilio: Twilio
) -> None:
    campaign = await services.campaigns.create(spec(sure_loss()))
    await services.campaigns.pause(campaign.id)
    assert (await twilio.text("DRAW WINTER")).reply == (
        "Winter Lucky Draw is not open for draws right now. Reply HELP for info."
    )


async def test_coupons_lists_unused_codes_with_their_last_valid_day(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_win(valid_days=7)))
    assert (await twilio.text("COUPONS")).reply == (
        "You have no unused codes right now. Reply DRAW to play."
    )
    result = await services.draws.draw(CUSTOMER, Channel.API)
    assert (await twilio.text("coupons")).reply == (
        f"Your codes:\n{result.code} Free Coffee, until 17 Dec 2026"
    )


async def test_help_names_the_campaign_the_odds_rule_and_how_to_stop(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(campaign_data()))
    assert (await twilio.text("HELP")).reply == (
        "Winter Lucky Draw: text DRAW once a day to win at once. A prize used up or not yet "
        "released wins nothing. RULES: odds. COUPONS: your codes. STOP to opt out."
    )
    assert (await twilio.text("info")).reply.startswith("Winter Lucky Draw: text DRAW")


async def test_stop_opts_out_with_evidence_and_start_opts_back_in(
    services: Core, twilio: Twilio
) -> None:
    assert (await twilio.text("Stop")).reply == (
        "You're unsubscribed and will get no more reminders. Reply START to opt back in."
    )
    customer = await services.customers.get(CUSTOMER)
    assert customer is not None
    assert customer.opted_out
    assert (await twilio.text("UNSTOP")).reply == (
        "You're subscribed again and will get reminders. Reply STOP to opt out."
    )
    customer = await services.customers.get(CUSTOMER)
    assert customer is not None
    assert not customer.opted_out
    events = await services.pool.fetch(
        "SELECT opted_out, source, at FROM consent_event ORDER BY id"
    )
    assert [(e["opted_out"], e["source"]) for e in events] == [
        (True, "sms:STOP"),
        (False, "sms:UNSTOP"),
    ]
    assert all(e["at"] == services.clock() for e in events)


async def test_anything_else_gets_a_one_line_hint(services: Core, twilio: Twilio) -> None:
    assert (await twilio.text("hello?")).reply == HINT
    assert (await twilio.text("")).reply == HINT


async def test_a_body_over_1600_characters_gets_the_hint_and_does_not_draw(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_win()))
    assert (await twilio.text("DRAW " + "!" * 1600)).reply == HINT
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 0


async def test_a_chinese_campaign_answers_every_command_in_traditional_chinese(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_win(language="zh-Hant", valid_days=7)))
    won = (await twilio.text("抽獎")).reply
    code = won.split("優惠碼：")[1][:11]
    assert won == (
        f"恭喜！你在Winter Lucky Draw抽中Free Coffee！優惠碼：{code}，有效期至2026年12月17日，"
        "請於付款時出示。下次抽獎：12月11日 00:00起。"
    )
    assert (await twilio.text("DRAW")).reply == (
        f"你今天已在Winter Lucky Draw抽過獎，抽中Free Coffee！優惠碼：{code}，"
        "有效期至2026年12月17日。下次抽獎：12月11日 00:00起。"
    )
    assert (await twilio.text("COUPONS")).reply == (
        f"你的優惠碼：\n{code} Free Coffee，有效至2026年12月17日"
    )
    assert (await twilio.text("HELP")).reply.startswith("Winter Lucky Draw：每天回覆 DRAW")
    assert (await twilio.text("STOP")).reply == (
        "你已取消訂閱，不會再收到提示訊息。回覆 START 重新訂閱。"
    )
    assert (await twilio.text("START")).reply == "你已重新訂閱提示訊息。回覆 STOP 取消訂閱。"
    assert (await twilio.text("你好")).reply.startswith("不明白你的訊息。")


async def test_lang_switches_a_customers_replies_whatever_the_campaign_default(
    services: Core, twilio: Twilio
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    assert (await twilio.text("LANG 中文")).reply == "好的，之後會以繁體中文回覆。"
    assert (await twilio.text("DRAW")).reply.startswith(
        "很可惜，今次Winter Lucky Draw未有中獎。下次抽獎：12月11日 00:00起，祝你好運！ 驗證編號："
    )
    assert (await twilio.text("lang en")).reply == "OK, replies will be in English from now on."
    assert (await twilio.text("DRAW")).reply.startswith("You already drew today")


async def test_a_flood_gets_one_slow_down_reply_then_silence(
    services: Core, twilio: Twilio
) -> None:
    for _ in range(20):
        assert (await twilio.text("hi")).reply == HINT
    slow_down = await twilio.text("hi")
    assert slow_down.reply == (
        "You're sending messages too fast. Please wait a minute and try again."
    )
    silent = await twilio.text("DRAW")
    assert silent.status == 200
    assert silent.messages == []


async def test_a_customer_flooding_draw_after_drawing_is_slowed_down_in_their_language_from_redis(
    services: Core, twilio: Twilio, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Today's remembered draw carries the language: the flood's one answer needs no lookup."""
    await services.campaigns.create(spec(sure_loss()))
    assert (await twilio.text("LANG ZH")).reply.startswith("好的")
    await twilio.text("DRAW")
    await services.draw_gate.flushed()
    lookups: list[str] = []
    get = services.customers.get

    async def counted(phone: str) -> Any:
        lookups.append(phone)
        return await get(phone)

    monkeypatch.setattr(services.customers, "get", counted)
    for _ in range(18):  # 20 messages a minute: LANG, the draw, and these
        assert (await twilio.text("DRAW")).reply.startswith("你今天已在Winter Lucky Draw抽過獎")
    assert (await twilio.text("DRAW")).reply == "你傳送訊息太頻密，請稍等一分鐘再試。"
    assert (await twilio.text("DRAW")).messages == []
    assert lookups == []
