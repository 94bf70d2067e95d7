"""/start, the shared contact, and the gate before a phone is linked."""

from __future__ import annotations

from app.bootstrap import Core
from core.model import Channel
from tests.bot.conftest import PHONE, TelegramUser
from tests.helpers import spec, sure_loss


async def test_start_greets_in_english_and_asks_for_the_phone_with_a_contact_button(
    ann: TelegramUser,
) -> None:
    assert await ann.send("/start") == 200
    (reply,) = ann.sent()
    assert "share your phone number" in reply["text"]
    (row,) = reply["reply_markup"]["keyboard"]
    assert row[0]["request_contact"] is True


async def test_start_greets_a_chinese_telegram_user_in_traditional_chinese(
    ann: TelegramUser,
) -> None:
    ann.language_code = "zh-hant"
    await ann.send("/start")
    (reply,) = ann.sent()
    assert "歡迎參加幸運抽獎" in reply["text"]
    assert reply["reply_markup"]["keyboard"][0][0]["text"] == "分享我的電話號碼"


async def test_every_command_asks_for_the_contact_again_until_linked(
    ann: TelegramUser, services: Core
) -> None:
    await services.campaigns.create(spec(sure_loss()))
    for text in ("/draw", "/coupons", "/redeem ABCDE-12345", "/help", "hello"):
        assert await ann.send(text) == 200
    assert all("share your phone number first" in t for t in ann.texts())
    assert await services.pool.fetchval("SELECT count(*) FROM draw") == 0
    assert await services.pool.fetchval("SELECT count(*) FROM customer") == 0


async def test_someone_elses_contact_is_refused_and_links_nothing(
    ann: TelegramUser, services: Core
) -> None:
    assert await ann.share_contact("85291234567", owner=999) == 200
    assert "someone else's number" in ann.last
    assert ann.sent()[-1]["reply_markup"]["keyboard"][0][0]["request_contact"] is True
    assert await services.pool.fetchval("SELECT count(*) FROM customer") == 0


async def test_own_contact_without_plus_links_the_international_number(
    ann: TelegramUser, services: Core
) -> None:
    # The tests' DEFAULT_REGION is HK: a British number must not be read as a local one.
    assert await ann.share_contact("447911123456") == 200
    assert "+44*******456" in ann.last
    assert ann.sent()[-1]["reply_markup"] == {"remove_keyboard": True}
    customer = await services.customers.telegram_customer(ann.id)
    assert customer is not None
    assert customer.phone == "+447911123456"


async def test_own_contact_with_plus_links_the_same_customer_as_sms(
    ann: TelegramUser, services: Core
) -> None:
    await services.customers.register(PHONE, Channel.SMS)
    await ann.share_contact(PHONE)
    rows = await services.pool.fetch("SELECT phone, telegram_user_id FROM customer")
    assert [(r["phone"], r["telegram_user_id"]) for r in rows] == [(PHONE, ann.id)]


async def test_an_unreadable_number_is_refused_politely(ann: TelegramUser, services: Core) -> None:
    assert await ann.share_contact("12") == 200
    assert "could not read that phone number" in ann.last
    assert await services.pool.fetchval("SELECT count(*) FROM customer") == 0


async def test_sharing_a_new_number_moves_the_account_to_it(
    ann: TelegramUser, services: Core
) -> None:
    await ann.linked(PHONE)
    await ann.linked("+85291234568")
    rows = await services.pool.fetch(
        "SELECT phone FROM customer WHERE telegram_user_id = $1", ann.id
    )
    assert [r["phone"] for r in rows] == ["+85291234568"]
