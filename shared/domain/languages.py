"""The languages a site's articles are written in: BCP 47 tags and their names for prompts."""

from __future__ import annotations

LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "nl": "Dutch",
    "pt": "Portuguese", "pl": "Polish", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "nb": "Norwegian",
    "fi": "Finnish", "cs": "Czech", "tr": "Turkish", "ja": "Japanese", "zh": "Chinese", "ko": "Korean",
}  # fmt: skip


def language_name(code: str | None) -> str:
    primary = (code or "en").split("-")[0].lower()
    return LANGUAGE_NAMES.get(primary, code or "English")
