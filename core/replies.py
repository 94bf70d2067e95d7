"""Every text a customer or staff member reads, per language, shared by all channels.

Templates are `str.format` strings. English ones must fit one SMS segment (160 GSM-7
characters) with realistic values; tests check every template.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.errors import (
    AlreadyDrewToday,
    CampaignClosed,
    CampaignNotFound,
    KeywordNeeded,
    LuckyDrawError,
    NoActiveCampaign,
    RateLimited,
    RedemptionRefused,
    RequestConflict,
)
from core.model import Campaign, Coupon, DrawOutcome, DrawResult, Language, RedeemStatus, Redemption
from core.proof import EntryReference

EN, ZH = Language.EN, Language.ZH_HANT

TEMPLATES: dict[str, dict[Language, str]] = {
    # Channels add their keys here; each key has every language.
    # --- customers, by situation (SMS and Telegram) ---
    "brand": {EN: "Lucky Draw", ZH: "幸運抽獎"},
    "draw.won": {
        EN: "You won {prize} in {campaign}! Your code: {code}, valid until {expires}. "
        "Show it at the till. Next draw from {next_draw}.",
        ZH: "恭喜！你在{campaign}抽中{prize}！優惠碼：{code}，有效期至{expires}，"
        "請於付款時出示。下次抽獎：{next_draw}起。",
    },
    "draw.lost": {
        EN: "No prize this time in {campaign}. Your next draw opens {next_draw}. Good luck!",
        ZH: "很可惜，今次{campaign}未有中獎。下次抽獎：{next_draw}起，祝你好運！",
    },
    "draw.capped": {
        EN: "You've reached the most wins allowed in {campaign}, so this draw can't win. "
        "Your next draw opens {next_draw}.",
        ZH: "你在{campaign}的中獎次數已達上限，今次抽獎不設獎品。下次抽獎：{next_draw}起。",
    },
    # Appended to a draw reply when it still fits one SMS segment (verifiable draws).
    "draw.ref": {EN: " Proof ref: {reference}", ZH: " 驗證編號：{reference}"},
    "proof": {
        EN: "Your proof ref in {campaign}: {reference}. Each day's draws are published with "
        "their proof after midnight: {url}",
        ZH: "你在{campaign}的驗證編號：{reference}。每日抽獎紀錄及驗證於午夜後公佈：{url}",
    },
    "draw.already": {
        EN: "You already drew today in {campaign}. Your next draw opens {next_draw}. "
        "Reply COUPONS for your codes.",
        ZH: "你今天已在{campaign}抽過獎。下次抽獎：{next_draw}起。回覆 COUPONS 查看優惠碼。",
    },
    "draw.already_won": {
        EN: "You already drew today in {campaign} and won {prize}: code {code}, valid until "
        "{expires}. Next draw from {next_draw}.",
        ZH: "你今天已在{campaign}抽過獎，抽中{prize}！優惠碼：{code}，有效期至{expires}。"
        "下次抽獎：{next_draw}起。",
    },
    "draw.already_lost": {
        EN: "You already drew today in {campaign}: no prize this time. Your next draw opens "
        "{next_draw}.",
        ZH: "你今天已在{campaign}抽過獎，今次未有中獎。下次抽獎：{next_draw}起。",
    },
    "draw.keyword_needed": {
        EN: "Several draws are on: {keywords}. Reply DRAW and one of them, e.g. DRAW {example}.",
        ZH: "現正有多個抽獎：{keywords}。請回覆 DRAW 加關鍵字，例如 DRAW {example}。",
    },
    "draw.no_campaign": {
        EN: "No lucky draw is running right now. Please try again later.",
        ZH: "目前沒有進行中的抽獎，請稍後再試。",
    },
    "draw.closed": {
        EN: "{campaign} is not open for draws right now. Reply HELP for info.",
        ZH: "{campaign}目前未開放抽獎。回覆 HELP 了解詳情。",
    },
    "draw.unknown_keyword": {
        EN: "There is no draw called {keyword}. Reply DRAW to play.",
        ZH: "沒有名為 {keyword} 的抽獎。回覆 DRAW 參加抽獎。",
    },
    "coupons.list": {EN: "Your codes:\n{coupons}", ZH: "你的優惠碼：\n{coupons}"},
    "coupons.item": {
        EN: "{code} {prize}, until {expires}",
        ZH: "{code} {prize}，有效至{expires}",
    },
    "coupons.none": {
        EN: "You have no unused codes right now. Reply DRAW to play.",
        ZH: "你目前沒有未使用的優惠碼。回覆 DRAW 參加抽獎。",
    },
    "help": {
        EN: "{campaign}: text DRAW once a day to win at once. A prize used up or not yet "
        "released wins nothing. RULES: odds. COUPONS: your codes. STOP to opt out.",
        ZH: "{campaign}：每天回覆 DRAW 即時抽獎一次。若抽中的獎品已派完或未發放，該次不設獎品，"
        "其他機會率不變。RULES 查看規則，COUPONS 查看優惠碼，STOP 取消訂閱，LANG EN 轉英文。",
    },
    "rules.link": {
        EN: "{campaign} official rules, prizes and odds: {link}",
        ZH: "{campaign}正式規則、獎品及中獎機會：{link}",
    },
    "stop.done": {
        EN: "You're unsubscribed and will get no more reminders. Reply START to opt back in.",
        ZH: "你已取消訂閱，不會再收到提示訊息。回覆 START 重新訂閱。",
    },
    "start.done": {
        EN: "You're subscribed again and will get reminders. Reply STOP to opt out.",
        ZH: "你已重新訂閱提示訊息。回覆 STOP 取消訂閱。",
    },
    "lang.set": {
        EN: "OK, replies will be in English from now on.",
        ZH: "好的，之後會以繁體中文回覆。",
    },
    "hint": {
        EN: "Sorry, I didn't get that. Reply DRAW to play, COUPONS for your codes, HELP for "
        "info, STOP to opt out.",
        ZH: "不明白你的訊息。回覆 DRAW 抽獎、COUPONS 查看優惠碼、HELP 了解詳情、STOP 取消訂閱。",
    },
    "rate_limited": {
        EN: "You're sending messages too fast. Please wait a minute and try again.",
        ZH: "你傳送訊息太頻密，請稍等一分鐘再試。",
    },
    "error.temporary": {
        EN: "Sorry, something went wrong on our side. Please try again in a minute.",
        ZH: "抱歉，系統出現問題，請稍後再試。",
    },
    "error.unconfirmed": {
        EN: "Sorry, we could not confirm your draw in time. Text DRAW again in a minute to "
        "see your result.",
        ZH: "抱歉，未能及時確認你的抽獎。請一分鐘後再傳送 DRAW 查看結果。",
    },
    # --- sent by the outbox, unasked (core/services/reminders.py, outbox.py) ---
    "outbox.reminder.sms": {
        EN: "{campaign}: your daily draw is waiting! Reply DRAW {keyword} to play. "
        "STOP to opt out.",
        ZH: "{campaign}：今日抽獎機會等緊你！回覆 DRAW {keyword} 參加。回覆 STOP 取消訂閱。",
    },
    "outbox.reminder.telegram": {
        EN: "{campaign}: your daily draw is waiting! Send /draw {keyword} to play. "
        "/stop to opt out.",
        ZH: "{campaign}：今日抽獎機會等緊你！傳送 /draw {keyword} 參加。/stop 取消訂閱。",
    },
    "outbox.coupon": {
        EN: "You won {prize} in {campaign}! Your code: {code}, valid until {expires}. "
        "Show it at the till.",
        ZH: "恭喜！你在{campaign}抽中{prize}！優惠碼：{code}，有效期至{expires}，請於付款時出示。",
    },
    "outbox.expiry": {
        EN: "Reminder: your {prize} code {code} is valid until {expires}. "
        "Show it at the till before then.",
        ZH: "提提你：{prize}優惠碼 {code} 有效期至{expires}，請於到期前使用。",
    },
    # --- staff at the till ---
    "redeem.ok": {
        EN: "OK: {code} redeemed. Prize: {prize}. Customer: {phone}.",
        ZH: "兌換成功：{code}。獎品：{prize}。顧客：{phone}。",
    },
    "redeem.unknown": {
        EN: "NOT VALID: {code} is not a code we issued. Do not give the prize.",
        ZH: "無效：{code} 並非我們發出的優惠碼，請勿兌換。",
    },
    "redeem.already": {
        EN: "ALREADY USED: {code} ({prize}) was redeemed on {redeemed_at}. "
        "Do not give the prize again.",
        ZH: "已使用：{code}（{prize}）已於{redeemed_at}兌換，請勿重複兌換。",
    },
    "redeem.expired": {
        EN: "EXPIRED: {code} ({prize}) was valid until {expires}. Do not give the prize.",
        ZH: "已過期：{code}（{prize}）有效期至{expires}，請勿兌換。",
    },
    "redeem.locked": {
        EN: "Too many invalid codes from this phone. Redeeming is paused: try again later.",
        ZH: "此電話輸入無效優惠碼次數過多，暫停兌換，請稍後再試。",
    },
    "redeem.malformed": {
        EN: "That is not a code. Send REDEEM and the code, e.g. REDEEM ABCDE-12345.",
        ZH: "這不是優惠碼。請傳送 REDEEM 加優惠碼，例如 REDEEM ABCDE-12345。",
    },
    # --- Telegram: linking a phone, buttons, and the texts that name slash commands ---
    "tg.welcome": {
        EN: "Welcome to Lucky Draw! Play once a day, here or by SMS. First, tap the button "
        "below to share your phone number, so we know it's you.",
        ZH: "歡迎參加幸運抽獎！每天可在這裡或以短訊抽獎一次。"
        "請先按下方按鈕分享你的電話號碼，以確認身分。",
    },
    "tg.share_button": {EN: "Share my phone number", ZH: "分享我的電話號碼"},
    "tg.ask_contact": {
        EN: "Please share your phone number first: tap the button below.",
        ZH: "請先按下方按鈕分享你的電話號碼。",
    },
    "tg.contact_not_yours": {
        EN: "That is someone else's number. Please share your own with the button below.",
        ZH: "這是其他人的電話號碼。請按下方按鈕分享你自己的號碼。",
    },
    "tg.invalid_phone": {
        EN: "We could not read that phone number. Please share yours with the button below.",
        ZH: "未能讀取該電話號碼。請按下方按鈕分享你的號碼。",
    },
    "tg.linked": {
        EN: "Thanks, you're {phone}. Send /draw to play, /coupons for your codes, /help for "
        "the rules.",
        ZH: "謝謝，你的號碼是 {phone}。傳送 /draw 抽獎、/coupons 查看優惠碼、/help 了解規則。",
    },
    "tg.ready": {
        EN: "Welcome back! Send /draw to play, /coupons for your codes, /help for the rules.",
        ZH: "歡迎回來！傳送 /draw 抽獎、/coupons 查看優惠碼、/help 了解規則。",
    },
    "tg.draw_button": {EN: "Draw", ZH: "抽獎"},
    "tg.lang_choose": {EN: "Choose your language:", ZH: "請選擇語言："},
    "tg.error.unconfirmed": {
        EN: "Sorry, we could not confirm your draw in time. Send /draw again in a minute to "
        "see your result.",
        ZH: "抱歉，未能及時確認你的抽獎。請一分鐘後再傳送 /draw 查看結果。",
    },
    "tg.draw.already": {
        EN: "You already drew today in {campaign}. Your next draw opens {next_draw}. "
        "Send /coupons for your codes.",
        ZH: "你今天已在{campaign}抽過獎。下次抽獎：{next_draw}起。傳送 /coupons 查看優惠碼。",
    },
    "tg.draw.keyword_needed": {
        EN: "Several draws are on: {keywords}. Tap one below, or send /draw {example}.",
        ZH: "現正有多個抽獎：{keywords}。請按下方選擇，或傳送 /draw {example}。",
    },
    "tg.draw.closed": {
        EN: "{campaign} is not open for draws right now. Send /help for info.",
        ZH: "{campaign}目前未開放抽獎。傳送 /help 了解詳情。",
    },
    "tg.draw.unknown_keyword": {
        EN: "There is no draw called {keyword}. Send /draw to play.",
        ZH: "沒有名為 {keyword} 的抽獎。傳送 /draw 參加抽獎。",
    },
    "tg.coupons.none": {
        EN: "You have no unused codes right now. Send /draw to play.",
        ZH: "你目前沒有未使用的優惠碼。傳送 /draw 參加抽獎。",
    },
    "tg.help": {
        EN: "{campaign}: send /draw once a day to win at once. A prize used up or not yet "
        "released wins nothing. /rules: odds. /coupons: codes. /stop: no reminders.",
        ZH: "{campaign}：每天傳送 /draw 即時抽獎一次。若抽中的獎品已派完或未發放，該次不設獎品，"
        "其他機會率不變。/rules 查看規則，/coupons 查看優惠碼，/stop 停止提示，/lang 轉換語言。",
    },
    "tg.stop.done": {
        EN: "You're unsubscribed and will get no more reminders. Send /start to opt back in.",
        ZH: "你已取消訂閱，不會再收到提示訊息。傳送 /start 重新訂閱。",
    },
    "tg.start.done": {
        EN: "You're subscribed again and will get reminders. Send /stop to opt out.",
        ZH: "你已重新訂閱提示訊息。傳送 /stop 取消訂閱。",
    },
    "tg.hint": {
        EN: "Sorry, I didn't get that. Send /draw to play, /coupons for your codes, /help for "
        "info, /stop to end reminders.",
        ZH: "不明白你的訊息。傳送 /draw 抽獎、/coupons 查看優惠碼、"
        "/help 了解詳情、/stop 停止提示。",
    },
    "tg.redeem.malformed": {
        EN: "That is not a code. Send /redeem and the code, e.g. /redeem ABCDE-12345.",
        ZH: "這不是優惠碼。請傳送 /redeem 加優惠碼，例如 /redeem ABCDE-12345。",
    },
}

# GSM 03.38: the basic set costs one septet, the extension set two (escape + character).
_GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENSION = frozenset("^{}\\[~]|€")


def fits_one_segment(text: str) -> bool:
    """160 GSM-7 septets, or 70 UCS-2 characters when any character is outside GSM-7."""
    septets = 0
    for char in text:
        if char in _GSM7_BASIC:
            septets += 1
        elif char in _GSM7_EXTENSION:
            septets += 2
        else:
            return len(text) <= 70
    return septets <= 160


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def render(key: str, language: Language, **values: object) -> str:
    """The text for `key` in `language`, falling back to English."""
    templates = TEMPLATES[key]
    template = templates.get(language) or templates[Language.EN]
    return template.format(**values)


def local_date(moment: datetime, timezone: str, language: Language) -> str:
    """A calendar day as the campaign's customers read it: "31 Dec 2026", "2026年12月31日"."""
    local = moment.astimezone(ZoneInfo(timezone))
    if language is Language.ZH_HANT:
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def local_datetime(moment: datetime, timezone: str, language: Language) -> str:
    """A moment in the campaign's zone: "11 Dec 00:00", "12月11日 00:00"."""
    local = moment.astimezone(ZoneInfo(timezone))
    if language is Language.ZH_HANT:
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {_MONTHS[local.month - 1]} {local:%H:%M}"


def last_valid_day(expires_at: datetime, timezone: str, language: Language) -> str:
    """Coupons expire at the start of a local day; people read "valid until" the day before."""
    return local_date(expires_at - timedelta(microseconds=1), timezone, language)


_REDEEM_KEYS = {
    RedeemStatus.REDEEMED: "redeem.ok",
    RedeemStatus.UNKNOWN: "redeem.unknown",
    RedeemStatus.ALREADY_REDEEMED: "redeem.already",
    RedeemStatus.EXPIRED: "redeem.expired",
    RedeemStatus.LOCKED_OUT: "redeem.locked",
    RedeemStatus.MALFORMED: "redeem.malformed",
}


@dataclass(frozen=True, slots=True)
class Wording:
    """Core results and refusals as one channel's texts.

    The situations and their wording are shared; where a text names a channel's commands
    ("Reply COUPONS"), the catalogue has a variant (`tg.` keys) that this wording prefers.
    """

    variant: str = ""

    def text(self, key: str, language: Language, **values: object) -> str:
        own = self.variant + key
        return render(own if own in TEMPLATES else key, language, **values)

    def draw(self, result: DrawResult, language: Language | None = None) -> str:
        language = language or result.language
        reply = self._draw(result, language)
        if result.reference is None:
            return reply
        with_reference = reply + self.text("draw.ref", language, reference=result.reference)
        return with_reference if fits_one_segment(with_reference) else reply

    def _draw(self, result: DrawResult, language: Language) -> str:
        next_draw = local_datetime(result.next_draw_at, result.timezone, language)
        if result.won and result.expires_at is not None:
            return self.text(
                "draw.won",
                language,
                prize=result.prize_name,
                campaign=result.campaign_name,
                code=result.code,
                expires=last_valid_day(result.expires_at, result.timezone, language),
                next_draw=next_draw,
            )
        # A prize sold out or not yet released is "no prize" too (HELP and the rules say so).
        key = "draw.capped" if result.outcome is DrawOutcome.WIN_CAPPED else "draw.lost"
        return self.text(key, language, campaign=result.campaign_name, next_draw=next_draw)

    def proof(self, entry: EntryReference, language: Language) -> str:
        return self.text(
            "proof",
            language,
            campaign=entry.campaign.name,
            reference=entry.reference,
            url=entry.url,
        )

    def coupons(self, coupons: Sequence[Coupon], language: Language) -> str:
        if not coupons:
            return self.text("coupons.none", language)
        items = [
            self.text(
                "coupons.item",
                language,
                code=c.code,
                prize=c.prize_name,
                expires=last_valid_day(c.expires_at, c.timezone, language),
            )
            for c in coupons
        ]
        return self.text("coupons.list", language, coupons="\n".join(items))

    def help(self, home: Campaign | None, language: Language) -> str:
        """HELP: how to play the home campaign (core.services.campaigns: `home`)."""
        name = home.name if home else self.text("brand", language)
        return self.text("help", language, campaign=name)

    def rules_link(self, campaign: Campaign, link: str, language: Language) -> str:
        """RULES: one segment with the link to the campaign's official rules."""
        return self.text("rules.link", language, campaign=campaign.name, link=link)

    def redemption(self, redemption: Redemption, home: Campaign | None, language: Language) -> str:
        """What the till sees; dates in the home campaign's zone (UTC without one)."""
        timezone = home.timezone if home else "UTC"
        redeemed_at, expires_at = redemption.redeemed_at, redemption.expires_at
        return self.text(
            _REDEEM_KEYS[redemption.status],
            language,
            code=redemption.code or "",
            prize=redemption.prize_name or "",
            phone=redemption.masked_phone or "",
            redeemed_at=local_datetime(redeemed_at, timezone, language) if redeemed_at else "",
            expires=last_valid_day(expires_at, timezone, language) if expires_at else "",
        )

    def refusal(
        self,
        exc: LuckyDrawError,
        language: Language,
        keyword: str | None = None,
        home: Campaign | None = None,
    ) -> str:
        """The answer to a refusal; anything else (NotStaff too: no oracle) gets the hint.

        `home` (the home campaign) dates a refused redemption for the till."""
        match exc:
            case RedemptionRefused():
                return self.redemption(exc.attempt, home, language)
            case AlreadyDrewToday():
                return self._already(exc, language)
            case KeywordNeeded():
                return self.text(
                    "draw.keyword_needed",
                    language,
                    keywords=", ".join(exc.keywords),
                    example=exc.keywords[0],
                )
            case CampaignClosed():
                return self.text("draw.closed", language, campaign=exc.name)
            case CampaignNotFound():
                return self.text("draw.unknown_keyword", language, keyword=keyword or "")
            case NoActiveCampaign():
                return self.text("draw.no_campaign", language)
            case RateLimited():
                return self.text("rate_limited", language)
            case RequestConflict():  # e.g. a restarted Telegram update id: a new try is fine
                return self.text("error.temporary", language)
            case _:
                return self.text("hint", language)

    def _already(self, exc: AlreadyDrewToday, language: Language) -> str:
        """A repeat states the day's recorded outcome: a win nobody saw is shown again."""
        next_draw = local_datetime(exc.next_draw_at, exc.timezone, language)
        today = exc.today
        if today is None:
            return self.text(
                "draw.already", language, campaign=exc.campaign_name, next_draw=next_draw
            )
        if today.won and today.expires_at is not None:
            return self.text(
                "draw.already_won",
                language,
                campaign=exc.campaign_name,
                prize=today.prize_name,
                code=today.code,
                expires=last_valid_day(today.expires_at, exc.timezone, language),
                next_draw=next_draw,
            )
        return self.text(
            "draw.already_lost", language, campaign=exc.campaign_name, next_draw=next_draw
        )
