"""The console's words in English and Traditional Chinese; the language is the `ld_lang`
cookie's, else the browser's (any `zh` gets Traditional Chinese)."""

from __future__ import annotations

import re
from collections.abc import Callable

from aiohttp import web

LANG_COOKIE = "ld_lang"
LANGUAGES = ("en", "zh-Hant")

_ZH = {
    "Lucky Draw console": "幸運抽獎控制台",
    "Campaigns": "活動",
    "Staff": "店員",
    "Customers": "顧客",
    "Audit trail": "審計紀錄",
    "Sign in": "登入",
    "Sign out": "登出",
    "Admin token": "管理員權杖",
    "Wrong token.": "權杖錯誤。",
    "Too many wrong tokens: try again in {n} s.": "錯誤次數過多：請於 {n} 秒後再試。",
    "New campaign": "新活動",
    "Status": "狀態",
    "Keyword": "關鍵字",
    "Today": "今日",
    "draws": "次抽獎",
    "wins": "次中獎",
    "Prizes today": "今日獎品",
    "Pause": "暫停",
    "Resume": "恢復",
    "End": "結束",
    "Edit": "編輯",
    "Open": "開啟",
    "Pause this campaign?": "暫停此活動？",
    "End this campaign for good?": "永久結束此活動？",
    "active": "進行中",
    "paused": "已暫停",
    "ended": "已結束",
    "Draws per minute today": "今日每分鐘抽獎次數",
    "Draws today": "今日抽獎",
    "Draws in all": "總抽獎",
    "Wins": "中獎",
    "Redemptions today": "今日兌換",
    "Outbox waiting": "待發訊息",
    "Outbox dead": "發送失敗訊息",
    "Prize": "獎品",
    "Today / daily quota": "今日 / 每日配額",
    "Issued / total quota": "已發 / 總配額",
    "Released so far": "至今已發放",
    "paced over {hours}": "於 {hours} 內逐步發放",
    "Redeemed": "已兌換",
    "Wins, last 30 min": "最近 30 分鐘中獎",
    "Daily quota runs out": "每日配額用完",
    "sold out": "已送完",
    "lasts the day": "足夠全日",
    "by {t}": "約 {t}",
    "When": "時間",
    "Who": "操作者",
    "What": "操作",
    "Changes": "變更",
    "Try it": "試玩",
    "Real draws: they count like any customer's.": "真實抽獎：與顧客抽獎一樣計算。",
    "Phone": "電話",
    "Message": "訊息",
    "Send": "傳送",
    "Winners": "得獎者",
    "Redemption log": "兌換紀錄",
    "Search by code or the phone's last digits": "以優惠碼或電話末位搜尋",
    "Search": "搜尋",
    "Download CSV": "下載 CSV",
    "Code": "優惠碼",
    "Issued": "發出",
    "Expires": "到期",
    "Previous": "上一頁",
    "Next": "下一頁",
    "Result": "結果",
    "Save": "儲存",
    "Create": "建立",
    "Add a prize": "新增獎品",
    "Remove": "移除",
    "Name": "名稱",
    "Time zone": "時區",
    "Starts at": "開始",
    "Ends at": "結束",
    "Reminder time": "提醒時間",
    "Language": "語言",
    "Organizer": "主辦單位",
    "Organizer contact": "主辦單位聯絡",
    "Open hours": "營業時間",
    "Max wins per customer": "每位顧客最多中獎次數",
    "Probability (0-1)": "中獎機率 (0-1)",
    "Total quota": "總配額",
    "Daily quota": "每日配額",
    "Valid days": "有效日數",
    "Pacing": "派發節奏",
    "Entries a day": "每日參加人次",
    "Odds preview": "機率預覽",
    "Fixed once the campaign has started": "活動開始後不可更改",
    "Add": "新增",
    "Add one": "新增一位",
    "Add many (CSV: phone,name)": "批次新增 (CSV：電話,名稱)",
    "or upload a CSV file": "或上載 CSV 檔案",
    "Added {n}.": "已新增 {n} 位。",
    "Line {n}": "第 {n} 行",
    "Look up": "查詢",
    "Show number": "顯示號碼",
    "Draws": "抽獎",
    "Coupons": "優惠碼",
    "Consent": "同意紀錄",
    "opted out": "取消訂閱",
    "opted in": "重新訂閱",
    "No customer with this number.": "沒有此號碼的顧客。",
    "Every change is recorded in the audit trail.": "所有變更都會記錄在審計紀錄。",
    "Main": "主選單",
    "Pages": "分頁",
    "Remove {phone}?": "移除 {phone}？",
    "(no reply)": "（沒有回覆）",
    "empty message": "訊息是空白的",
    "ADMIN_TOKEN is not set: the console is disabled.": "未設定 ADMIN_TOKEN：控制台已停用。",
    "max {n}": "最高 {n}",
    # The odds preview
    "At {entries} entries a day: about {wins} wins of {prize}": (
        "每日 {entries} 人次參加：{prize} 約中獎 {wins} 次"
    ),
    "1 in {n}": "{n} 中 1",
    "daily quota {daily} is reached after about {n} entries": (
        "每日配額 {daily} 約於 {n} 人次後用完"
    ),
    "not reached today": "今日不會用完",
    "never won": "不會中獎",
    # The release schedule and the outbox on the campaign page
    "Release schedule today": "今日發放時間表",
    "Paced prizes: units released by the end of each hour, and coupons issued by then.": (
        "逐步發放的獎品：每小時結束時已發放的數量，以及當時已發出的優惠碼。"
    ),
    "Hour": "時段",
    "released": "已發放",
    "issued": "已發出",
    "now": "現在",
    "Outbox": "待發訊息匣",
    "oldest waiting for {m} min": "最舊一則已等候 {m} 分鐘",
    "Dead messages (latest)": "發送失敗訊息（最新）",
    "Attempts": "嘗試次數",
    "Last error": "最後錯誤",
    # The customer lookup
    "Campaign": "活動",
    "Channel": "渠道",
    "Kind": "類別",
    "Messages": "訊息",
    "waiting to be sent": "等候發送",
    "being sent": "發送中",
    "gave up after repeated failures": "多次失敗後放棄",
    "not sent": "未發送",
    "not sent: this number has never texted the campaign number": (
        "未發送：此號碼從未發短訊到活動號碼"
    ),
    "not sent: SMS to this number's country is not allowed (SMS_ALLOWED_COUNTRIES)": (
        "未發送：不允許發短訊到此號碼的國家（SMS_ALLOWED_COUNTRIES）"
    ),
    "not sent: this number has opted out (STOP)": "未發送：此號碼已取消訂閱（STOP）",
    "not sent: this number unsubscribed at Twilio": "未發送：此號碼已在 Twilio 取消訂閱",
    "not sent: Twilio refused it": "未發送：Twilio 拒絕發送",
    "not sent: this customer has blocked the Telegram bot": "未發送：此顧客已封鎖 Telegram 機械人",
    "not sent: this customer has no Telegram chat with the bot": (
        "未發送：此顧客沒有與 Telegram 機械人的對話"
    ),
    "not sent: quiet hours began before it could go out": "未發送：發送前已進入免打擾時段",
    "waiting for quiet hours to end": "等候免打擾時段結束",
    "not sent: the customer had already played that day": "未發送：顧客當日已參加",
    "not sent: the campaign was closed": "未發送：活動已關閉",
    "not sent: the coupon was already redeemed": "未發送：優惠碼已兌換",
    "not sent: the coupon had expired": "未發送：優惠碼已過期",
    # Values shown from the data (enumerations)
    "create": "建立",
    "edit": "編輯",
    "pause": "暫停",
    "resume": "恢復",
    "end": "結束",
    "reveal_phone": "顯示號碼",
    "sms": "短訊",
    "telegram": "Telegram",
    "api": "API",
    "chat": "試玩",
    "won": "中獎",
    "no_prize": "沒有中獎",
    "sold_out": "已送完",
    "not_released": "尚未發放",
    "win_capped": "已達中獎上限",
    "reminder": "提醒",
    "coupon": "優惠碼",
    "expiry_notice": "到期通知",
    "pending": "等候中",
    "sending": "發送中",
    "sent": "已發送",
    "dead": "發送失敗",
    "skipped": "已略過",
    "none": "不分段",
    "even": "平均分段",
    "redeemed": "已兌換",
    "unknown": "未知優惠碼",
    "already_redeemed": "已兌換過",
    "expired": "已過期",
    "not_staff": "非店員",
    "locked_out": "暫時鎖定",
    "malformed": "格式錯誤",
    # Refusal pages (console.refusals) and the core messages they show
    "Not understood": "無法理解",
    "Not done": "未有執行",
    "Not found": "找不到",
    "Back to the campaign": "返回活動",
    "Back to the campaigns list": "返回活動列表",
    "Back to staff": "返回店員",
    "Back to customers": "返回顧客",
    "Reload the page": "重新載入頁面",
    "This form's security token (CSRF) is missing or out of date, so nothing was done: "
    "reload the page and try again.": (
        "此表單的安全權杖（CSRF）缺少或已過期，所以沒有執行任何操作：請重新載入頁面再試。"
    ),
    "The link may be mistyped, or what it names does not exist.": (
        "連結可能有誤，或所指的項目並不存在。"
    ),
    "There is no console page at {path}.": "控制台沒有 {path} 這個頁面。",
    "{path} is an action: use its button on the console's pages.": (
        "{path} 是一個操作：請在控制台頁面上按它的按鈕。"
    ),
    "There is no console language {lang}: choose en or zh-Hant.": (
        "控制台沒有 {lang} 語言：請選擇 en 或 zh-Hant。"
    ),
    "page must be a whole number from 0": "頁數必須為 0 或以上的整數",
    "Nothing was changed.": "沒有任何變更。",
    "cannot pause a campaign that is paused": "活動已暫停，不能再暫停",
    "cannot pause a campaign that is ended": "活動已結束，不能暫停",
    "cannot resume a campaign that is active": "活動正在進行，不能恢復",
    "cannot resume a campaign that is ended": "活動已結束，不能恢復",
    "cannot end a campaign that is ended": "活動已結束，不能再結束",
    # Validation messages from core with no variable part
    "keyword must be 2-16 letters or digits": "關鍵字必須為 2 至 16 個英文字母或數字",
    "starts_at must be before ends_at": "開始時間必須早於結束時間",
    "prizes must be a non-empty list": "必須最少有一個獎品",
    "prize probabilities sum to more than 1": "獎品中獎機率總和超過 1",
    "prize names must be unique": "獎品名稱不可重複",
    "daily_quota exceeds total_quota": "每日配額超過總配額",
    "probability must be in [0, 1]": "中獎機率必須介乎 0 至 1",
    "language must be en or zh-Hant": "語言必須為 en 或 zh-Hant",
    "reminder_time must be local HH:MM": "提醒時間必須為當地時間 HH:MM",
    "pacing must be none or even": "派發節奏必須為 none 或 even",
    "an ended campaign cannot be edited": "已結束的活動不可編輯",
    "ends_at cannot be before now": "結束時間不可早於現在",
    "not a phone number": "不是電話號碼",
    "not a valid phone number": "不是有效的電話號碼",
    "open_hours must be local HH:MM-HH:MM within one day, e.g. 09:00-21:00": (
        "營業時間必須為同一日內的當地時間 HH:MM-HH:MM，例如 09:00-21:00"
    ),
    "a campaign must be a mapping of fields": "活動必須為欄位的對應",
    "a prize must be a mapping": "獎品必須為欄位的對應",
    "an edit must be a mapping of fields": "修改必須為欄位的對應",
    "Nothing to add: give a phone, or CSV lines phone,name.": (
        "沒有可新增的店員：請輸入電話，或以 CSV 每行輸入 電話,姓名。"
    ),
    "The form is too large: split the CSV into smaller files.": (
        "表單過大：請把 CSV 分拆為較小的檔案。"
    ),
}

# Messages from core with a variable part (a field's name, a number): the pattern, in Chinese.
_ZH_PATTERNS = tuple(
    (re.compile(pattern), chinese)
    for pattern, chinese in (
        (r"(?P<f>\S+) is required text", "{f} 為必填文字"),
        (r"(?P<f>\S+) is over (?P<n>\d+) characters", "{f} 超過 {n} 個字元"),
        (r"(?P<f>\S+) needs a UTC offset, e\.g\. \+08:00", "{f} 需要 UTC 時差，例如 +08:00"),
        (r"(?P<f>\S+) must be in (?P<a>\d+)-(?P<b>\d+)", "{f} 必須在 {a} 至 {b} 年之間"),
        (r"at most (?P<n>\d+) prizes", "最多 {n} 個獎品"),
        (r"(?P<f>\S+) must be a whole number from 1 to (?P<n>\d+)", "{f} 必須為 1 至 {n} 的整數"),
        (r"unknown field (?P<f>.+)", "未知欄位 {f}"),
        (r"(?P<f>\S+) is not an ISO 8601 time", "{f} 不是 ISO 8601 時間"),
        (r"(?P<f>\S+) is required \(ISO 8601 with offset\)", "{f} 為必填（ISO 8601，連時差）"),
        (r"keyword (?P<k>\S+) is a command word", "關鍵字 {k} 是指令字"),
        (r"unknown time zone (?P<z>.+)", "未知時區 {z}"),
        (r"(?P<f>\S+) is fixed once the campaign has started", "{f} 於活動開始後不可更改"),
        (r"not a phone number: (?P<d>.+)", "不是電話號碼：{d}"),
        (r"no campaign (?P<n>\d+)", "沒有編號 {n} 的活動"),
        (r"(?P<p>\S*) is not staff", "{p} 不是店員"),
        (r"prize id (?P<i>.+) is not a prize of this campaign \(or is listed twice\)",
         "獎品編號 {i} 不屬於此活動（或重複列出）"),
        (r"prize (?P<p>.+) issued (?P<n>\d+) coupons and cannot be removed; "
         r"set its total_quota to (?P<m>\d+) instead",
         "獎品 {p} 已發出 {n} 張優惠碼，不可移除；請改為把總配額設為 {m}"),
        (r"total_quota cannot be below the (?P<n>\d+) coupons already issued",
         "總配額不可少於已發出的 {n} 張優惠碼"),
        (r"daily_quota cannot be below the (?P<n>\d+) coupons issued today",
         "每日配額不可少於今日已發出的 {n} 張優惠碼"),
    )
)  # fmt: skip

# English words for values shown from the data (the keys are their stored values).
_EN = {
    "reveal_phone": "reveal phone",
    "sms": "SMS",
    "api": "API",
    "chat": "Try it",
    "no_prize": "no prize",
    "sold_out": "sold out",
    "not_released": "not released yet",
    "win_capped": "win cap reached",
    "expiry_notice": "expiry notice",
    "already_redeemed": "already redeemed",
    "not_staff": "not staff",
    "locked_out": "locked out",
}


def noop(text: str) -> str:
    """Marks an i18n key given to t() later (the i18n test finds keys by `t(` and `noop(`)."""
    return text


def language(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return "zh-Hant" if "zh" in request.headers.get("Accept-Language", "").lower()[:5] else "en"


def translator(lang: str) -> Callable[..., str]:
    """`t("text", n=3)`: the text in `lang` (English is the key), with fields filled in."""

    def t(text: str, **fields: object) -> str:
        if lang == "zh-Hant" and text not in _ZH and (filled := _by_pattern(text)):
            return filled  # a message from core, its variable parts filled in already
        words = _ZH.get(text, text) if lang == "zh-Hant" else _EN.get(text, text)
        return words.format(**fields) if fields else words

    return t


def _by_pattern(text: str) -> str | None:
    for pattern, chinese in _ZH_PATTERNS:
        if match := pattern.fullmatch(text):
            return chinese.format(**match.groupdict())
    return None
