"""CSV cells that a spreadsheet would run as a formula, made plain text (CSV injection).

Excel, LibreOffice and Google Sheets start a formula at `=`, `+`, `-` or `@`, and some also
after a leading tab or carriage return. A leading apostrophe makes them show the text as is.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain_cell(text: str) -> str:
    """`text` as a spreadsheet should show it, never run it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
