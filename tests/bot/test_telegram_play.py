"""/draw, the Draw button, /coupons, /help, /stop, /lang, and one draw a day across channels."""

from __future__ import annotations

from structlog.testing import capture_logs

from app.bootstrap import Core
from core.model import Channel, Language
from tests.bot.conftest import PHONE, TelegramUser
from tests.helpers import campaign_data, counted, spec, sure_loss, sure_win
from tests.twilio_client import Twilio


async def test_draw_wins_and_shows_the_code(ann: TelegramUser, services: Core) -> None:
    await services.campaigns.create(spec(sure_win()))
    await ann.linked()
    assert await ann.send("/draw") == 200
    code = await services.pool.fetchval("SELECT code FROM coupon")
    assert f"You won Free Coffee in Winter Lucky Draw! Your code: {code}" in ann.last
    channel = await services.pool.fetchval("SELECT channel FROM draw")
    assert channel == "telegram"


async def test_draw_loses_and_says_when_the_next_draw_opens(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    await ann.send("/draw WINTER")
    assert ann.last.startswith("No prize this time in Winter Lucky Draw.")
    assert "11 Dec 00:00" in ann.last  # Hong Kong midnight, not the server's


async def test_a_phone_that_drew_by_sms_today_is_told_on_telegram_it_already_drew(
    ann: TelegramUser, sms: Twilio, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    assert (await sms.text("DRAW")).status == 200
    await ann.linked()
    await ann.send("/draw")
    assert ann.last.startswith("You already drew today in Winter Lucky Draw: no prize this time.")
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1


async def test_a_phone_that_drew_on_telegram_today_is_told_by_sms_it_already_drew(
    ann: TelegramUser, sms: Twilio, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    await ann.send("/draw")
    assert "You already drew today in Winter Lucky Draw: no prize" in (await sms.text("DRAW")).reply
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 1


async def test_the_draw_button_of_a_reminder_draws_and_stops_the_spinner(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_win()))
    await ann.linked()
    assert await ann.press("draw:WINTER") == 200
    assert "You won Free Coffee" in ann.last
    assert [c.method for c in ann.api.calls][-2:] == ["sendMessage", "answerCallbackQuery"]
    assert await services.pool.fetchval("SELECT count(*) FROM coupon") == 1


async def test_with_several_draws_on_the_bot_offers_one_button_each(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await services.campaigns.create(spec(sure_loss(keyword="SPRING", name="Spring Draw")))
    await ann.linked()
    await ann.send("/draw")
    reply = ann.sent()[-1]
    assert reply["text"].startswith("Several draws are on: SPRING, WINTER.")
    buttons = [row[0]["callback_data"] for row in reply["reply_markup"]["inline_keyboard"]]
    assert buttons == ["draw:SPRING", "draw:WINTER"]
    await ann.press("draw:SPRING")
    assert ann.last.startswith("No prize this time in Spring Draw.")


async def test_an_unknown_keyword_is_named_in_the_refusal(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    await ann.send("/draw SUMMER")
    assert ann.last == "There is no draw called SUMMER. Send /draw to play."


async def test_coupons_lists_unused_codes_and_says_when_there_are_none(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_win(valid_days=7)))
    await ann.linked()
    await ann.send("/coupons")
    assert ann.last == "You have no unused codes right now. Send /draw to play."
    await ann.send("/draw")
    await ann.send("/coupons")
    code = await services.pool.fetchval("SELECT code FROM coupon")
    assert ann.last == f"Your codes:\n{code} Free Coffee, until 17 Dec 2026"


async def test_help_names_the_campaign_and_the_sold_out_rule(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(campaign_data()))
    await ann.linked()
    await ann.send("/help")
    assert ann.last.startswith("Winter Lucky Draw: send /draw once a day")
    assert "A prize used up or not yet released wins nothing." in ann.last
    assert "/rules" in ann.last


async def test_rules_answers_the_link_to_the_official_rules(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(campaign_data()))
    await ann.linked()
    await ann.send("/rules")
    assert ann.last == (
        "Winter Lucky Draw official rules, prizes and odds: https://luckydraw.example.com/r/WINTER"
    )
    before = counted(services.metrics.registry, "telegram", "not_found")
    with capture_logs() as logs:
        await ann.send("/rules NOSUCH")
    assert ann.last == "There is no draw called NOSUCH. Send /draw to play."
    refused = [(e["reason"], e["command"]) for e in logs if e["event"] == "refused"]
    assert refused == [("not_found", "rules")]  # logged with why, and counted:
    assert counted(services.metrics.registry, "telegram", "not_found") == before + 1


async def test_stop_opts_out_and_start_opts_back_in(ann: TelegramUser, services: Core) -> None:
    await ann.linked()
    await ann.send("/stop")
    assert ann.last.startswith("You're unsubscribed")
    customer = await services.customers.get(PHONE)
    assert customer is not None
    assert customer.opted_out
    await ann.send("/start")
    assert ann.last.startswith("You're subscribed again")
    customer = await services.customers.get(PHONE)
    assert customer is not None
    assert not customer.opted_out
    sources = await services.pool.fetch("SELECT source FROM consent_event ORDER BY id")
    assert [r["source"] for r in sources] == ["telegram:/stop", "telegram:/start"]


async def test_lang_switches_replies_to_traditional_chinese_for_sms_too(
    ann: TelegramUser, sms: Twilio, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await ann.linked()
    await ann.send("/lang")
    picker = ann.sent()[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in picker] == ["lang:en", "lang:zh-Hant"]
    await ann.press("lang:zh-Hant")
    assert ann.last == "好的，之後會以繁體中文回覆。"
    await ann.send("/draw")
    assert ann.last.startswith("很可惜，今次Winter Lucky Draw未有中獎。")
    assert "你今天已在Winter Lucky Draw抽過獎" in (await sms.text("DRAW")).reply


async def test_a_customer_chosen_language_wins_over_the_telegram_apps(
    ann: TelegramUser, services: Core
) -> None:
    await services.customers.set_language(PHONE, Language.ZH_HANT)
    await ann.linked()
    await ann.send("/lang en")
    assert ann.last == "OK, replies will be in English from now on."
    ann.language_code = "zh-hant"
    await ann.send("/coupons")
    assert ann.last.startswith("You have no unused codes")


async def test_unknown_commands_text_and_photos_get_a_hint(
    ann: TelegramUser, services: Core
) -> None:
    await ann.linked()
    assert await ann.send("/dance") == 200
    assert await ann.send("what is this?") == 200
    photo = [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    status, _ = await ann.deliver({"message": ann.message(photo=photo)})
    assert status == 200
    hint = "Sorry, I didn't get that. Send /draw to play"
    assert [t.startswith(hint) for t in ann.texts()[-3:]] == [True, True, True]


async def test_a_stale_button_just_stops_its_spinner(ann: TelegramUser) -> None:
    await ann.linked()
    assert await ann.press("something-old") == 200
    assert ann.api.calls[-1].method == "answerCallbackQuery"


async def test_the_same_phone_by_sms_and_telegram_is_one_customer(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    await services.draws.draw(PHONE, Channel.SMS)
    await ann.linked()
    assert await services.pool.fetchval("SELECT count(*) FROM customer") == 1
