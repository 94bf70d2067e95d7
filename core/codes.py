"""Coupon codes: 10 Crockford base32 characters (50 random bits), shown XXXXX-XXXXX."""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 10
RANDOM_BYTES = 7  # 56 bits drawn, 50 kept
# Crockford: read O as 0 and I/L as 1; people type what they see.
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.]+")


def make_code(random_bytes: bytes) -> str:
    """A code from CSPRNG bytes (passed in, so tests can pin them)."""
    if len(random_bytes) < RANDOM_BYTES:
        raise ValueError(f"need {RANDOM_BYTES} random bytes")
    value = int.from_bytes(random_bytes[:RANDOM_BYTES], "big") >> (RANDOM_BYTES * 8 - 50)
    chars = []
    for _ in range(CODE_CHARS):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    raw = "".join(reversed(chars))
    return f"{raw[:5]}-{raw[5:]}"


def normalise_code(text: str) -> str | None:
    """The canonical code a person meant, or None when it cannot be one."""
    raw = _SEPARATORS.sub("", text.strip().upper()).translate(_CONFUSABLE)
    if len(raw) != CODE_CHARS or any(c not in ALPHABET for c in raw):
        return None
    return f"{raw[:5]}-{raw[5:]}"
