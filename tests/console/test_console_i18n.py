"""Every word the console shows has a Traditional Chinese translation, and zh-Hant pages show
it: the keys are found in the templates and console code, and the pages are rendered."""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

import pytest

import core
from app.bootstrap import Core
from console import delivery, refusals
from console.i18n import _ZH, translator
from core import model
from tests.console.conftest import Client, sign_in
from tests.helpers import campaign_data, paced_first_prize, spec

CONSOLE = Path(delivery.__file__).parent
CORE = Path(core.__file__).parent
# t("...") or t('...') in templates; form.html's field labels are passed as text.
T_CALL = re.compile(r"""\bt\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
LABEL = re.compile(r"""field\("\w+", "([^"]+)"|\("\w+", "([^"]+)", "(?:text|number)"\)""")
SHOWN_ENUMS = (model.AuditAction, model.CampaignStatus, model.Channel, model.DrawOutcome,
               model.MessageKind, model.OutboxStatus, model.Pacing, model.RedeemStatus)  # fmt: skip


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in CONSOLE.glob("templates/*.html"):
        text = path.read_text()
        keys |= {a or b for a, b in T_CALL.findall(text)}
        if path.name == "form.html":
            keys |= {a or b for a, b in LABEL.findall(text)}
    for path in CONSOLE.glob("*.py"):
        if path.name != "i18n.py":
            keys |= code_keys(path)
    keys |= {e.value for enum in SHOWN_ENUMS for e in enum}
    keys |= {sentence for _, sentence in delivery.REASONS} | set(delivery.STATUS.values())
    return keys


def code_keys(path: Path) -> set[str]:
    """The text given to t(...) or marked noop(...) in console code (joined, if split)."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
        and node.func.id in ("t", "noop") and node.args
        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
    }  # fmt: skip


def test_every_word_the_console_shows_has_a_traditional_chinese_translation() -> None:
    keys = used_keys()
    assert {"Odds preview", "Release schedule today", "Probability (0-1)"} <= keys  # found
    assert {"Not found", refusals.CSRF, refusals.NO_PAGE} <= keys  # marked noop(...) in code
    missing = sorted(k for k in keys if k not in _ZH)
    assert missing == []


def test_translations_keep_their_fields() -> None:
    for english, chinese in _ZH.items():
        assert set(re.findall(r"\{\w+\}", english)) == set(re.findall(r"\{\w+\}", chinese))


def visible_text(page: str) -> str:
    page = re.sub(r"<(script|style|template)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
async def zh_client(web_client: Client) -> Client:
    await sign_in(web_client)
    web_client.session.cookie_jar.update_cookies({"ld_lang": "zh-Hant"})
    return web_client


async def test_a_paced_campaign_page_and_its_edit_form_are_in_chinese(
    zh_client: Client, services: Core
) -> None:
    data = paced_first_prize(campaign_data(open_hours="09:00-21:00"))
    campaign = await services.campaigns.create(spec(data))
    page = visible_text(await (await zh_client.get(f"/console/campaigns/{campaign.id}")).text())
    for words in ("今日發放時間表", "待發訊息匣", "至今已發放", "試玩", "審計紀錄"):
        assert words in page
    form = await (await zh_client.get(f"/console/campaigns/{campaign.id}/edit")).text()
    assert "機率預覽" in form
    assert ">平均分段</option>" in form  # the pacing choices
    assert "中獎機率 (0-1)" in form
    # The odds preview the form asks for as it is typed.
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)[1]  # type: ignore[index]
    preview = await zh_client.post(
        "/console/preview",
        data={"csrf": csrf, "entries": "2000", "prize_name": "$5 Cash Coupon",
              "prize_probability": "0.05", "prize_total_quota": "1000",
              "prize_daily_quota": "50", "prize_valid_days": "30", "prize_pacing": "none"},
    )  # fmt: skip
    assert " ".join(visible_text(await preview.text()).split()) == (
        "每日 2,000 人次參加：$5 Cash Coupon 約中獎 100 次 (20 中 1); "
        "每日配額 50 約於 1,000 人次後用完."
    )
    invalid = await zh_client.post(
        "/console/preview",
        data={"csrf": csrf, "prize_name": "x", "prize_probability": "0.05",
              "prize_total_quota": "10", "prize_daily_quota": "50", "prize_valid_days": "3"},
    )  # fmt: skip
    assert "每日配額超過總配額" in await invalid.text()


async def test_no_english_word_of_the_console_is_left_on_chinese_pages(
    zh_client: Client, services: Core
) -> None:
    campaign = await services.campaigns.create(spec(campaign_data()))
    await services.draws.draw("+85291234567", model.Channel.SMS)
    english = sorted((k for k in _ZH if re.search("[A-Za-z]{3}", k) and k != _ZH[k]), key=len)
    for path in ("/console", f"/console/campaigns/{campaign.id}",
                 f"/console/campaigns/{campaign.id}/edit",
                 f"/console/campaigns/{campaign.id}/winners", "/console/staff",
                 "/console/customers?phone=%2B85291234567", "/console/audit"):  # fmt: skip
        page = visible_text(await (await zh_client.get(path)).text())
        page = page.replace(campaign.name, "").replace("Lucky Draw", "")
        left = [k for k in english if re.search(rf"(?<![\w$]){re.escape(k)}(?!\w)", page)]
        assert left == [], (path, left)


def core_messages() -> list[str]:
    """The messages core's validation, editing and phone rules can give, each variable part
    filled with "1"."""
    errors = {"InvalidCampaign", "InvalidPhone", "InvalidTransition", "EditRefused"}
    messages = []
    for name in ("validation.py", "editing.py", "phone.py"):
        tree = ast.parse((CORE / name).read_text())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in errors and node.args):  # fmt: skip
                messages.append(_sample(node.args[0]))
    return messages


def _sample(node: ast.expr) -> str:
    if isinstance(node, ast.Constant):
        return str(node.value)
    assert isinstance(node, ast.JoinedStr), ast.dump(node)
    return "".join(_sample(v) if isinstance(v, ast.Constant) else "1" for v in node.values)


def test_every_message_of_core_validation_reads_in_traditional_chinese() -> None:
    messages = core_messages()
    assert "daily_quota exceeds total_quota" in messages
    assert "1 is required text" in messages  # f"{field} is required text"
    t = translator("zh-Hant")
    untranslated = [m for m in messages if not re.search(r"[\u4e00-\u9fff]", t(m))]
    assert untranslated == []
