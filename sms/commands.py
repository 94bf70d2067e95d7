"""What a text message asks for: a pure parser, forgiving of how people type on phones.

Case, extra spaces, surrounding punctuation and full-width characters (as Chinese keyboards
type them) are all tolerated: `draw`, ` DRAW! `, `ＤＲＡＷ　ｗｉｎｔｅｒ` and `抽獎` all mean DRAW.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from core.languages import language_named
from core.model import Language

MAX_BODY_CHARS = 1600  # Twilio's longest message; anything longer is not a command


class Action(enum.StrEnum):
    DRAW = "draw"
    COUPONS = "coupons"
    HELP = "help"
    STOP = "stop"
    START = "start"
    REDEEM = "redeem"
    LANG = "lang"
    RULES = "rules"
    PROOF = "proof"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Command:
    action: Action
    argument: str | None = (
        None  # DRAW's, RULES' and PROOF's keyword, REDEEM's code, LANG's language
    )
    language: Language | None = None  # LANG only: the language asked for


_WORDS: dict[str, Action] = {
    "DRAW": Action.DRAW,
    "抽獎": Action.DRAW,
    "抽奖": Action.DRAW,
    "COUPONS": Action.COUPONS,
    "COUPON": Action.COUPONS,
    "CODES": Action.COUPONS,
    "優惠碼": Action.COUPONS,
    "HELP": Action.HELP,
    "INFO": Action.HELP,
    "幫助": Action.HELP,
    # The carrier-standard opt-out and opt-in words (Twilio's list).
    "STOP": Action.STOP,
    "STOPALL": Action.STOP,
    "UNSUBSCRIBE": Action.STOP,
    "CANCEL": Action.STOP,
    "END": Action.STOP,
    "QUIT": Action.STOP,
    "START": Action.START,
    "UNSTOP": Action.START,
    "YES": Action.START,
    "REDEEM": Action.REDEEM,
    "LANG": Action.LANG,
    "RULES": Action.RULES,
    "RULE": Action.RULES,
    "規則": Action.RULES,
    "规则": Action.RULES,
    "LANGUAGE": Action.LANG,
    "PROOF": Action.PROOF,
    "驗證": Action.PROOF,
}

_KEYWORD = re.compile(r"^[A-Z0-9]{1,32}$")


def parse(text: str) -> Command:
    """The command in `text`; anything unrecognised is UNKNOWN (answered with a hint)."""
    if len(text) > MAX_BODY_CHARS:
        return Command(Action.UNKNOWN)
    words = _normalise(text).split()
    if not words:
        return Command(Action.UNKNOWN)
    action = _WORDS.get(_bare(words[0]))
    rest = " ".join(words[1:]) or None
    if action is None:
        return Command(Action.UNKNOWN)
    if action in (Action.DRAW, Action.RULES, Action.PROOF):
        return _with_keyword(action, rest)
    if action is Action.REDEEM:
        return Command(Action.REDEEM, rest) if rest else Command(Action.UNKNOWN)
    if action is Action.LANG:
        language = language_named(_bare(rest or "")) or language_named(rest or "")
        return Command(Action.LANG, rest, language) if language else Command(Action.UNKNOWN)
    # COUPONS, HELP, STOP and START ignore what follows ("stop texting me" is still STOP);
    # the word itself is kept as consent evidence.
    return Command(action, _bare(words[0]))


def _with_keyword(action: Action, rest: str | None) -> Command:
    if rest is None:
        return Command(action)
    keyword = _bare(rest).replace(" ", "")
    if not keyword:  # only decoration after the word ("DRAW !!"): no keyword
        return Command(action)
    return Command(action, keyword) if _KEYWORD.match(keyword) else Command(Action.UNKNOWN)


def _normalise(text: str) -> str:
    """NFKC folds full-width letters, digits and spaces to their plain forms; then upper case."""
    return unicodedata.normalize("NFKC", text).upper().strip()


def _bare(word: str) -> str:
    """A word without the punctuation or symbols people add around it ("DRAW!", "«STOP»")."""
    start, end = 0, len(word)
    while start < end and _is_decoration(word[start]):
        start += 1
    while end > start and _is_decoration(word[end - 1]):
        end -= 1
    return word[start:end]


def _is_decoration(char: str) -> bool:
    return unicodedata.category(char)[0] in "PS"
