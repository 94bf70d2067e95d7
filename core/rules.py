"""Official rules, generated from a campaign in English and Traditional Chinese.

A rules document is a title and sections of paragraphs and bullet items; the public pages
render it as HTML or plain text. Other features add sections of their own (see
`core.services.rules.RulesService.add_section`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.model import Campaign, Language, Pacing, Prize, RulesVersion
from core.replies import local_date

EN, ZH = Language.EN, Language.ZH_HANT


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # stable, for anchors and for features that add sections
    heading: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Entry:
    """How people enter, beyond the keyword: the SMS number and whether a bot runs."""

    sms_number: str | None = None
    telegram: bool = False


@dataclass(frozen=True, slots=True)
class RulesDocument:
    language: Language
    title: str
    subtitle: str
    sections: tuple[Section, ...]


def odds(probability: float) -> str:
    """ "1 in N" from a probability: whole N when it is (near) whole, else one decimal."""
    if probability <= 0:
        return "0"
    n = 1 / probability
    if abs(n - round(n)) < 0.05 or n >= 100:
        return f"1 in {round(n):,}"
    return f"1 in {n:,.1f}"


def document(
    campaign: Campaign,
    version: RulesVersion,
    versions: Sequence[RulesVersion],
    entry: Entry,
    language: Language,
    extra: Sequence[Section] = (),
) -> RulesDocument:
    t = _WORDS[language]
    c = campaign
    zone = c.timezone
    published = local_date(version.published_at, zone, language)
    sections = [
        Section("organizer", t["organizer"], (_organizer(c, t),)),
        Section(
            "dates",
            t["dates"],
            (
                t["dates_text"].format(
                    start=_moment(c.starts_at, zone, language),
                    end=_moment(c.ends_at, zone, language),
                    zone=zone,
                ),
            ),
        ),
        Section("entry", t["entry"], _entry(c, entry, t)),
        Section(
            "prizes",
            t["prizes"],
            (t["prizes_text"],),
            (*(_prize(p, t) for p in c.prizes), _no_prize(c, t)),
        ),
        Section("sold_out", t["sold_out"], (t["sold_out_text"],)),
        Section("pacing", t["pacing"], _pacing(c, t)),
        Section("win_cap", t["win_cap"], (_win_cap(c, t),)),
        Section("redemption", t["redemption"], (t["redemption_text"].format(zone=zone),)),
        Section("stop", t["stop"], (t["stop_text"],)),
        *extra,
        Section(
            "versions",
            t["versions"],
            (t["versions_text"],),
            tuple(
                t["version_item"].format(
                    number=v.number, date=local_date(v.published_at, zone, language)
                )
                + (t["current"] if v.number == version.number else "")
                for v in versions
            ),
        ),
    ]
    return RulesDocument(
        language=language,
        title=t["title"].format(campaign=c.name),
        subtitle=t["subtitle"].format(number=version.number, date=published),
        sections=tuple(sections),
    )


def as_text(doc: RulesDocument) -> str:
    """Plain text: headings underlined, items as dashes."""
    lines = [doc.title, "=" * len(doc.title), doc.subtitle, ""]
    for section in doc.sections:
        lines += [section.heading, "-" * len(section.heading)]
        lines += list(section.paragraphs)
        lines += [f"- {item}" for item in section.items]
        lines.append("")
    return "\n".join(lines)


def _moment(moment: datetime, zone: str, language: Language) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local_date(moment, zone, language)} {local:%H:%M}"


def _organizer(c: Campaign, t: dict[str, str]) -> str:
    if not c.organizer:
        return t["organizer_unnamed"].format(campaign=c.name)
    if c.organizer_contact:
        return t["organizer_text"].format(organizer=c.organizer, contact=c.organizer_contact)
    return c.organizer


def _entry(c: Campaign, entry: Entry, t: dict[str, str]) -> tuple[str, ...]:
    where = entry.sms_number or t["our_number"]
    lines = [t["entry_sms"].format(keyword=c.keyword, number=where)]
    if entry.telegram:
        lines.append(t["entry_telegram"].format(keyword=c.keyword))
    lines.append(t["entry_once"])
    return tuple(lines)


def _prize(p: Prize, t: dict[str, str]) -> str:
    line = t["prize_item"].format(
        name=p.name,
        odds=odds(p.probability),
        percent=_percent(p.probability),
        daily=f"{p.daily_quota:,}",
        total=f"{p.total_quota:,}",
        days=p.valid_days,
    )
    return line + (t["prize_paced"] if p.pacing is Pacing.EVEN else "")


def _no_prize(c: Campaign, t: dict[str, str]) -> str:
    rest = max(0.0, 1.0 - sum(p.probability for p in c.prizes))
    return t["no_prize_item"].format(percent=_percent(rest))


def _percent(probability: float) -> str:
    return f"{probability * 100:.4g}%"


def _pacing(c: Campaign, t: dict[str, str]) -> tuple[str, ...]:
    paced = [p.name for p in c.prizes if p.pacing is Pacing.EVEN]
    if not paced:
        return (t["pacing_none"],)
    return (
        t["pacing_text"].format(
            prizes=t["list_separator"].join(paced), hours=str(c.open_hours), zone=c.timezone
        ),
        t["pacing_edges"],
    )


def _win_cap(c: Campaign, t: dict[str, str]) -> str:
    if c.max_wins_per_customer is None:
        return t["win_cap_none"]
    return t["win_cap_text"].format(cap=c.max_wins_per_customer)


_WORDS: dict[Language, dict[str, str]] = {
    EN: {
        "title": "{campaign}: Official Rules",
        "subtitle": "Version {number}, published {date}",
        "organizer": "Organiser",
        "organizer_text": "{organizer} (contact: {contact})",
        "organizer_unnamed": "The organiser of {campaign}.",
        "dates": "Dates and time zone",
        "dates_text": "From {start} to {end}, {zone} time. Each day runs from 00:00 to 24:00 "
        "in {zone}; daily quotas and entries restart at midnight there.",
        "entry": "How to enter",
        "entry_sms": "Text DRAW {keyword} to {number}.",
        "our_number": "our number",
        "entry_telegram": "Or send /draw {keyword} to our Telegram bot.",
        "entry_once": "One entry per person per day: a person is a phone number, and SMS and "
        "Telegram with the same number count as one. You learn the result at once.",
        "prizes": "Prizes and odds",
        "prizes_text": "Each entry is one draw from a secure random generator. The odds are "
        "fixed for the day and do not depend on how many people enter.",
        "prize_item": "{name}: odds {odds} ({percent}); up to {daily} a day and {total} in "
        "all; valid {days} days",
        "prize_paced": "; released gradually over the day (see below)",
        "no_prize_item": "No prize: {percent}",
        "sold_out": "Sold out and not yet released",
        "sold_out_text": "If your entry picks a prize that has none left to win right now "
        "(its daily or total quota is used up, or its next unit is not released yet), that "
        "entry wins nothing. The odds of the other prizes stay the same.",
        "pacing": "Pacing",
        "pacing_none": "Every prize's daily quota can be won from the start of each day.",
        "pacing_text": "{prizes}: each day's quota is released evenly over the open hours "
        "{hours} ({zone}). Of n units a day, unit k becomes winnable at a random moment "
        "within the k-th of n equal parts of the open hours, fixed in advance by a secure "
        "random generator. So prizes are left to win all day, not only for the first entries.",
        "pacing_edges": "On the first and last day, the open hours start and end with the "
        "campaign. Units not won by the end of a day go back to the total quota.",
        "win_cap": "Win limit",
        "win_cap_none": "There is no limit on how many prizes one person can win.",
        "win_cap_text": "One person can win at most {cap} prize(s) in this campaign. After that, "
        "daily entries are still recorded but cannot win.",
        "redemption": "Validity and redemption",
        "redemption_text": "A win comes with a code. It is valid until the end of the last "
        "day of its validity ({zone} time), shown in the message. Show the code at the till: "
        "staff redeem each code once.",
        "stop": "Stopping messages",
        "stop_text": "Reply STOP to stop reminders (START to get them again). In Telegram, "
        "send /stop (and /start). Reply RULES for a link to these rules.",
        "versions": "Versions",
        "versions_text": "Every change to the campaign publishes a new version of these "
        "rules. Earlier versions stay readable:",
        "version_item": "Version {number}, published {date}",
        "current": " (this version)",
        "list_separator": ", ",
    },
    ZH: {
        "title": "{campaign}：正式規則",
        "subtitle": "第{number}版，{date}發佈",
        "organizer": "主辦機構",
        "organizer_text": "{organizer}（聯絡：{contact}）",
        "organizer_unnamed": "{campaign}的主辦機構。",
        "dates": "日期及時區",
        "dates_text": "由{start}至{end}（{zone}時間）。每日以{zone}時間00:00至24:00計算；"
        "每日名額及參加機會於當地午夜重新開始。",
        "entry": "參加方法",
        "entry_sms": "以短訊傳送 DRAW {keyword} 至{number}。",
        "our_number": "我們的號碼",
        "entry_telegram": "或在我們的 Telegram 機械人傳送 /draw {keyword}。",
        "entry_once": "每人每日可參加一次：以電話號碼計算，同一號碼經短訊及 Telegram "
        "參加亦只算一次。結果即時公佈。",
        "prizes": "獎品及中獎機會",
        "prizes_text": "每次參加由安全隨機數產生器抽獎一次。中獎機會固定，與參加人數無關。",
        "prize_item": "{name}：中獎機會 {odds}（{percent}）；每日最多{daily}份，"
        "合共{total}份；有效期{days}日",
        "prize_paced": "；於每日內逐步發放（見下文）",
        "no_prize_item": "不設獎品：{percent}",
        "sold_out": "獎品派完及尚未發放",
        "sold_out_text": "若抽中的獎品此刻已沒有可贏取的份數（每日或總名額已用完，"
        "或下一份尚未發放），該次參加不設獎品，其他獎品的中獎機會不變。",
        "pacing": "發放安排",
        "pacing_none": "所有獎品的每日名額由每日開始時已可贏取。",
        "pacing_text": "{prizes}：每日名額於開放時間 {hours}（{zone}）內平均發放。"
        "每日 n 份之中，第 k 份於開放時間平均分成 n 段後的第 k 段內一個隨機時刻開始可被贏取，"
        "該時刻由安全隨機數產生器預先決定。因此全日都有獎品可贏，不只屬於最早參加的人。",
        "pacing_edges": "首日及最後一日的開放時間隨活動開始及結束。當日未被贏取的份數撥回總名額。",
        "win_cap": "中獎上限",
        "win_cap_none": "每人可贏取的獎品數目不設上限。",
        "win_cap_text": "每人於本活動最多可贏取{cap}份獎品。達到上限後，"
        "每日參加仍會記錄，但不會中獎。",
        "redemption": "有效期及兌換",
        "redemption_text": "中獎會收到優惠碼，有效至訊息所示有效期最後一日完結（{zone}時間）。"
        "請於付款時出示優惠碼：每個優惠碼只可由職員兌換一次。",
        "stop": "停止接收訊息",
        "stop_text": "回覆 STOP 停止接收提示（回覆 START 重新接收）。在 Telegram 傳送 /stop"
        "（及 /start）。回覆 RULES 取得本規則的連結。",
        "versions": "版本",
        "versions_text": "活動每次修改都會發佈新版規則，舊版本仍可閱覽：",
        "version_item": "第{number}版，{date}發佈",
        "current": "（本版本）",
        "list_separator": "、",
    },
}

SUPPORTED = (EN, ZH)
