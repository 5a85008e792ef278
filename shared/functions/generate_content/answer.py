"""generate_content's answer: an article as JSON with a "content" field, or plain text (seed §4.3)."""

from __future__ import annotations

import json
from typing import Any

from shared.ai.ai_core import extract_json
from shared.domain.content_html import normalize_content
from shared.errors import AIResponseInvalid

CONTENT_ALIASES = ("content", "html_content", "html", "article", "body")


def parse_article(response: str) -> dict[str, Any]:
    """JSON with a "content" field, or plain text normalised to HTML (seed §4.3).

    An answer that starts like JSON but does not parse is rejected: treating a broken JSON
    answer as prose would store the model's syntax as the article.
    """
    text = (response or "").strip()
    if not text:
        raise AIResponseInvalid("the article answer is empty")
    looks_json = text.startswith("{") or (
        text.startswith("```") and text[3:].lstrip(" jsonJSON\n").startswith("{")
    )
    value: Any = None
    try:
        value = json.loads(text)
    except ValueError:
        found = extract_json(text) if looks_json or "```" in text else None
        if looks_json and found is None:
            raise AIResponseInvalid(
                "the article answer looks like JSON but is not valid JSON; nothing was saved"
            ) from None
        if looks_json or (isinstance(found, dict) and any(k in found for k in CONTENT_ALIASES)):
            value = found
    if value is None:
        html = normalize_content(text)
        if not html:
            raise AIResponseInvalid("the article answer has no text")
        parsed: dict[str, Any] = {"content": html}
    elif isinstance(value, dict):
        content = next(
            (value[k] for k in CONTENT_ALIASES if isinstance(value.get(k), str) and value[k].strip()),
            None,
        )
        if content is None:
            raise AIResponseInvalid('the article answer has no "content" text')
        parsed = {k: v for k, v in value.items() if k not in CONTENT_ALIASES}
        parsed["content"] = content
    else:
        raise AIResponseInvalid(f"the article answer is a JSON {type(value).__name__}, not an object")
    return parsed
