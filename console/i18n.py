"""The console's words in English and Traditional Chinese; the language is the `ld_lang`
cookie's, else the browser's (any `zh` gets Traditional Chinese)."""

from __future__ import annotations

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
    "Dates": "日期",
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
    "Messages sent": "已發訊息",
    "opted out": "取消訂閱",
    "opted in": "重新訂閱",
    "No customer with this number.": "沒有此號碼的顧客。",
    "Every change is recorded in the audit trail.": "所有變更都會記錄在審計紀錄。",
}


def language(request: web.Request) -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return "zh-Hant" if "zh" in request.headers.get("Accept-Language", "").lower()[:5] else "en"


def translator(lang: str) -> Callable[..., str]:
    """`t("text", n=3)`: the text in `lang` (English is the key), with fields filled in."""

    def t(text: str, **fields: object) -> str:
        words = _ZH.get(text, text) if lang == "zh-Hant" else text
        return words.format(**fields) if fields else words

    return t
