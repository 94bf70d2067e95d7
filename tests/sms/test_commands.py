"""The SMS command parser: what people type on phones, and what it means."""

from __future__ import annotations

import pytest

from core.model import Language
from sms.commands import Action, Command, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("DRAW", Command(Action.DRAW)),
        ("draw", Command(Action.DRAW)),
        ("  Draw!  ", Command(Action.DRAW)),
        ("ＤＲＡＷ", Command(Action.DRAW)),
        ("抽獎", Command(Action.DRAW)),
        ("draw winter", Command(Action.DRAW, "WINTER")),
        ("DRAW　ｗｉｎｔｅｒ.", Command(Action.DRAW, "WINTER")),
        ("draw, Winter!", Command(Action.DRAW, "WINTER")),
        ("DRAW !!", Command(Action.DRAW)),
        ("coupons", Command(Action.COUPONS, "COUPONS")),
        ("Codes?", Command(Action.COUPONS, "CODES")),
        ("help", Command(Action.HELP, "HELP")),
        ("INFO", Command(Action.HELP, "INFO")),
        ("redeem abcde12345", Command(Action.REDEEM, "ABCDE12345")),
        ("REDEEM ABCDE-12345", Command(Action.REDEEM, "ABCDE-12345")),
        ("LANG EN", Command(Action.LANG, "EN", Language.EN)),
        ("lang 中文", Command(Action.LANG, "中文", Language.ZH_HANT)),
        ("Lang zh-Hant", Command(Action.LANG, "ZH-HANT", Language.ZH_HANT)),
    ],
)
def test_commands_are_read_whatever_the_case_spacing_punctuation_or_width(
    text: str, expected: Command
) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("word", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT."])
def test_every_carrier_opt_out_word_means_stop(word: str) -> None:
    assert parse(word).action is Action.STOP


@pytest.mark.parametrize("word", ["START", "unstop", "Yes"])
def test_every_opt_in_word_means_start(word: str) -> None:
    assert parse(word).action is Action.START


@pytest.mark.parametrize(
    "text",
    ["", "   ", "hello", "!!!", "REDEEM", "LANG KLINGON", "DRAW win ter extra-long-keyword-here"],
)
def test_anything_else_is_unknown_and_gets_the_hint(text: str) -> None:
    assert parse(text).action is Action.UNKNOWN


def test_a_body_longer_than_twilio_allows_is_not_parsed() -> None:
    assert parse("DRAW " + "x" * 1600).action is Action.UNKNOWN
