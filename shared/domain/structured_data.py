"""JSON-LD of an article: ``Article`` always, ``FAQPage`` when it has a question-and-answer part.

``article_structured_data(...)`` returns the list of JSON-LD objects stored with the content;
``jsonld_script(objects)`` renders them as the ``<script type="application/ld+json">`` element
the exported HTML carries (``</`` escaped, so article text can never close the element).

A question-and-answer part is found in the sanitised HTML: the H3 headings under an H2 named like
"FAQ" / "Frequently asked questions" (in English or German), or else every H2/H3 heading that
ends with a question mark and is followed by an answer paragraph. At least two questions are
needed for a ``FAQPage`` (Google's guidelines ask for a real list of questions).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

FAQ_HEADING = re.compile(
    r"^(faqs?|frequently asked questions|questions and answers|häufig gestellte fragen|"
    r"häufige fragen|fragen und antworten)\b",
    re.IGNORECASE,
)
MIN_FAQ_QUESTIONS = 2
ANSWER_LIMIT = 1000


class _Blocks(HTMLParser):
    """The article as (tag, text) blocks: headings and paragraph-like elements, in order."""

    BLOCKS = ("h1", "h2", "h3", "h4", "p", "li")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._tag: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self._flush()
            self._tag = tag

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._tag is not None:
            self._text.append(data)

    def _flush(self) -> None:
        if self._tag is not None:
            text = " ".join("".join(self._text).split())
            if text:
                self.blocks.append((self._tag, text))
        self._tag, self._text = None, []


def _answers_after(blocks: list[tuple[str, str]], start: int, stop_levels: tuple[str, ...]) -> str:
    parts: list[str] = []
    for tag, text in blocks[start + 1 :]:
        if tag in stop_levels:
            break
        if tag in ("p", "li"):
            parts.append(text)
    return " ".join(parts)[:ANSWER_LIMIT]


def faq_pairs(html: str) -> list[tuple[str, str]]:
    """The (question, answer) pairs of the article's question-and-answer part (may be empty)."""
    parser = _Blocks()
    parser.feed(html or "")
    parser.close()
    blocks = parser.blocks
    pairs: list[tuple[str, str]] = []
    for index, (tag, text) in enumerate(blocks):
        if tag == "h2" and FAQ_HEADING.match(text):
            for offset, (inner_tag, question) in enumerate(blocks[index + 1 :], start=index + 1):
                if inner_tag in ("h1", "h2"):
                    break
                if inner_tag == "h3":
                    answer = _answers_after(blocks, offset, ("h1", "h2", "h3"))
                    if answer:
                        pairs.append((question, answer))
            if pairs:
                return pairs
    for index, (tag, text) in enumerate(blocks):
        if tag in ("h2", "h3") and text.endswith("?"):
            answer = _answers_after(blocks, index, ("h1", "h2", "h3"))
            if answer:
                pairs.append((text, answer))
    return pairs


def article_structured_data(
    *,
    html: str,
    title: str | None,
    description: str | None,
    url: str | None = None,
    site_name: str | None = None,
    lang: str = "en",
    keywords: list[str] | None = None,
    published: str | None = None,
    modified: str | None = None,
    word_count: int | None = None,
) -> list[dict[str, Any]]:
    """``[Article]`` or ``[Article, FAQPage]`` for one article (values left out when unknown)."""
    article: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": (title or "")[:110],
        "description": description or None,
        "inLanguage": lang,
        "keywords": ", ".join(k for k in (keywords or []) if k) or None,
        "datePublished": published,
        "dateModified": modified or published,
        "wordCount": word_count or None,
        "mainEntityOfPage": {"@type": "WebPage", "@id": url} if url else None,
        "url": url,
        "publisher": {"@type": "Organization", "name": site_name} if site_name else None,
    }
    objects: list[dict[str, Any]] = [{k: v for k, v in article.items() if v is not None}]
    pairs = faq_pairs(html)
    if len(pairs) >= MIN_FAQ_QUESTIONS:
        objects.append(
            {
                "@context": "https://schema.org",
                "@type": "FAQPage",
                "inLanguage": lang,
                "mainEntity": [
                    {"@type": "Question", "name": q, "acceptedAnswer": {"@type": "Answer", "text": a}}
                    for q, a in pairs
                ],
            }
        )
    return objects


def jsonld_script(objects: list[dict[str, Any]]) -> str:
    """The ``<script type="application/ld+json">`` element of ``objects`` ("" for none)."""
    if not objects:
        return ""
    value: Any = objects[0] if len(objects) == 1 else objects
    text = json.dumps(value, ensure_ascii=False, indent=1).replace("</", "<\\/")
    return f'<script type="application/ld+json">\n{text}\n</script>'
