"""CSV cells that a spreadsheet would run as a formula, made plain text (CSV injection).

Excel, LibreOffice and Google Sheets start a formula at `=`, `+`, `-` or `@`, and some also
after a leading tab or carriage return. A leading apostrophe makes them show the text as is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing

from core.model import Coupon

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def plain_cell(text: str) -> str:
    """`text` as a spreadsheet should show it, never run it."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


WINNERS_COLUMNS = ("code", "prize", "phone", "issued_at", "expires_at", "redeemed_at")
FLUSH_BYTES = 64 * 1024


async def winners_csv(coupons: AsyncGenerator[Coupon, None]) -> AsyncIterator[bytes]:
    """The winners CSV (admin API and console) in chunks of about FLUSH_BYTES, so a response
    streams any number of coupons in bounded memory; closes `coupons` however it ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(WINNERS_COLUMNS)
    async with aclosing(coupons):
        async for c in coupons:
            writer.writerow(
                (
                    c.code,
                    plain_cell(c.prize_name),  # the operator's text: never a live formula
                    c.phone,  # E.164 or masked, never a formula
                    c.issued_at.isoformat(),
                    c.expires_at.isoformat(),
                    c.redeemed_at.isoformat() if c.redeemed_at else "",
                )
            )
            if buffer.tell() >= FLUSH_BYTES:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()
