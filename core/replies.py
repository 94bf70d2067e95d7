"""Every text a customer or staff member reads, per language, shared by all channels.

Templates are `str.format` strings. English ones must fit one SMS segment (160 GSM-7
characters) with realistic values; tests check every template.
"""

from __future__ import annotations

from core.model import Language

TEMPLATES: dict[str, dict[Language, str]] = {
    # Channels add their keys here; each key has every language.
}


def render(key: str, language: Language, **values: object) -> str:
    """The text for `key` in `language`, falling back to English."""
    templates = TEMPLATES[key]
    template = templates.get(language) or templates[Language.EN]
    return template.format(**values)
