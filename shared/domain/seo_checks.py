"""On-page SEO checks of one article: what an SEO editor checks before publishing.

``check_article(...)`` returns ``SeoReport(score, checks, details)``: ``checks`` maps each check's
name to True/False, ``details`` holds the measured values (lengths, shares, readability) so a
failing check can say why, and ``score`` is the share of checks passed (0-100). The checks:

- ``meta_title_length``: the meta title has 1-60 characters;
- ``meta_description_length``: the meta description has 120-160 characters;
- ``keyword_in_title`` / ``keyword_in_h1`` (the body's H1, else the title the page renders as
  its H1) /
  ``keyword_in_intro`` (the first 100 words) / ``keyword_in_h2`` (at least one H2): the primary
  keyword, matched case-insensitively on word boundaries, plural and inflected forms included
  (``mentions``);
- ``secondary_keywords_used``: at least half of the secondary keywords appear in the text;
- ``word_count_on_target``: within ±20% of the idea's estimated word count;
- ``heading_levels``: no heading level skipped (an H2 followed by an H4, say);
- ``no_repeated_paragraphs``: no paragraph (of 8 words or more) appears twice;
- ``readable``: Flesch reading ease (textstat, in the article's language: Amstad for German) of at
  least ``MIN_READING_EASE``;
- ``internal_links``: at least ``min_internal_links`` links to the site's own pages.

Pure functions over the stored (sanitised) HTML: no I/O; textstat is imported on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlparse

META_TITLE_MAX = 60
META_DESCRIPTION_RANGE = (120, 160)
INTRO_WORDS = 100
WORD_COUNT_TOLERANCE = 0.2
SECONDARY_SHARE = 0.5
MIN_READING_EASE = 30.0
REPEAT_MIN_WORDS = 8
#: textstat's language codes for the languages we write in (others fall back to English rules).
TEXTSTAT_LANGS = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES", "it": "it_IT", "nl": "nl_NL"}

CHECK_NAMES = (
    "meta_title_length",
    "meta_description_length",
    "keyword_in_title",
    "keyword_in_h1",
    "keyword_in_intro",
    "keyword_in_h2",
    "secondary_keywords_used",
    "word_count_on_target",
    "heading_levels",
    "no_repeated_paragraphs",
    "readable",
    "internal_links",
)

_WORD = re.compile(r"\w+(?:[-']\w+)*", re.UNICODE)


@dataclass
class SeoReport:
    score: int
    checks: dict[str, bool]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def failing(self) -> list[str]:
        return [name for name, passed in self.checks.items() if not passed]

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "checks": dict(self.checks), "details": dict(self.details)}


class _Outline(HTMLParser):
    """Headings, paragraphs, links and the text of an article, in document order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.paragraphs: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []
        self._open: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if re.fullmatch(r"h[1-6]", tag) or tag in ("p", "li"):
            self._open = (tag, [])
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if self._open is None or self._open[0] != tag:
            return
        text = " ".join("".join(self._open[1]).split())
        if tag.startswith("h"):
            self.headings.append((int(tag[1]), text))
        elif tag == "p" and text:
            self.paragraphs.append(text)
        self._open = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._open is not None:
            self._open[1].append(data)


#: Word endings a mention may add to a keyword's words: plurals and common inflections
#: (English -s/-es, German -e/-en/-n/-er/-ern), as SEO tools match word forms.
_INFLECTION = r"(?:s|es|e|en|n|er|ern)?"


def mentions(text: str, phrase: str) -> bool:
    """Whether ``text`` names ``phrase``: its words in order, whole words, any case, inflected."""
    words = _WORD.findall(phrase.lower())
    if not words:
        return False
    pattern = r"(?<!\w)" + r"\W+".join(re.escape(w) + _INFLECTION for w in words) + r"(?!\w)"
    return re.search(pattern, text.lower()) is not None


def internal_link_count(links: list[str], site_host: str | None) -> int:
    """Links to the site itself: relative paths, or absolute URLs on ``site_host``."""
    host = (site_host or "").lower().removeprefix("www.")
    count = 0
    for href in links:
        parsed = urlparse(href)
        if parsed.scheme in ("mailto", "tel", "javascript") or href.startswith("#"):
            continue
        target = (parsed.hostname or "").lower().removeprefix("www.")
        if (not parsed.scheme and not parsed.netloc) or (host and target == host):
            count += 1
    return count


def reading_ease(text: str, lang: str = "en") -> float | None:
    """Flesch reading ease of ``text`` in ``lang`` (Amstad's formula for German); None for no text."""
    if not _WORD.search(text):
        return None
    import textstat  # pyphen's dictionaries: loaded on first use only

    textstat.set_lang(TEXTSTAT_LANGS.get(lang.split("-")[0].lower(), "en_US"))
    return float(textstat.flesch_reading_ease(text))


def check_article(
    html: str,
    *,
    title: str | None,
    meta_title: str | None,
    meta_description: str | None,
    primary_keyword: str | None,
    secondary_keywords: list[str] | None = None,
    target_words: int | None = None,
    lang: str = "en",
    site_host: str | None = None,
    min_internal_links: int = 0,
) -> SeoReport:
    """The on-page checks of one article (see the module docstring)."""
    outline = _Outline()
    outline.feed(html or "")
    outline.close()
    text = " ".join("".join(outline.text).split())
    words = _WORD.findall(text)
    keyword = (primary_keyword or "").strip()
    # The page's H1: the body's own, else the title (the page template renders it as the H1),
    # else the body's first heading.
    h1 = next((t for level, t in outline.headings if level == 1), None)
    first_heading = h1 or title or (outline.headings[0][1] if outline.headings else "")
    secondary = [k for k in (secondary_keywords or []) if k.strip()]
    used = [k for k in secondary if mentions(text, k)]
    levels = [level for level, _ in outline.headings]
    skipped = [f"h{a}->h{b}" for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
    repeated = _repeated(outline.paragraphs)
    ease = reading_ease(text, lang)
    links = internal_link_count(outline.links, site_host)
    meta_len = len(meta_title or "")
    desc_len = len(meta_description or "")
    low, high = META_DESCRIPTION_RANGE

    checks = {
        "meta_title_length": 0 < meta_len <= META_TITLE_MAX,
        "meta_description_length": low <= desc_len <= high,
        "keyword_in_title": bool(keyword) and mentions(title or meta_title or "", keyword),
        "keyword_in_h1": bool(keyword) and mentions(first_heading, keyword),
        "keyword_in_intro": bool(keyword) and mentions(" ".join(words[:INTRO_WORDS]), keyword),
        "keyword_in_h2": bool(keyword) and any(mentions(t, keyword) for lv, t in outline.headings if lv == 2),
        "secondary_keywords_used": not secondary or len(used) >= SECONDARY_SHARE * len(secondary),
        "word_count_on_target": not target_words
        or abs(len(words) - target_words) <= WORD_COUNT_TOLERANCE * target_words,
        "heading_levels": not skipped,
        "no_repeated_paragraphs": not repeated,
        "readable": ease is not None and ease >= MIN_READING_EASE,
        "internal_links": links >= min_internal_links,
    }
    details = {
        "meta_title_length": meta_len,
        "meta_description_length": desc_len,
        "word_count": len(words),
        "target_words": target_words,
        "secondary_keywords_used": used,
        "secondary_keywords_missing": [k for k in secondary if k not in used],
        "skipped_heading_levels": skipped,
        "repeated_paragraphs": repeated[:3],
        "reading_ease": None if ease is None else round(ease, 1),
        "internal_links": links,
        "lang": lang,
    }
    score = round(100 * sum(checks.values()) / len(checks))
    return SeoReport(score=score, checks=checks, details=details)


def _repeated(paragraphs: list[str]) -> list[str]:
    seen: set[str] = set()
    repeated: list[str] = []
    for paragraph in paragraphs:
        key = " ".join(_WORD.findall(paragraph.lower()))
        if len(key.split()) < REPEAT_MIN_WORDS:
            continue
        if key in seen and paragraph not in repeated:
            repeated.append(paragraph)
        seen.add(key)
    return repeated


def describe_failures(report: SeoReport) -> list[str]:
    """One line per failing check, in words a writer (or a model asked to revise) can act on."""
    d = report.details
    low, high = META_DESCRIPTION_RANGE
    lines = {
        "meta_title_length": f"the meta title has {d['meta_title_length']} characters; write 1-{META_TITLE_MAX}",
        "meta_description_length": f"the meta description has {d['meta_description_length']} characters; "
        f"write {low}-{high}",
        "keyword_in_title": "put the primary keyword in the title",
        "keyword_in_h1": "put the primary keyword in the first heading",
        "keyword_in_intro": f"use the primary keyword within the first {INTRO_WORDS} words",
        "keyword_in_h2": "use the primary keyword in at least one H2 heading",
        "secondary_keywords_used": "use more of the secondary keywords: "
        + ", ".join(d["secondary_keywords_missing"][:10]),
        "word_count_on_target": f"the article has {d['word_count']} words; the brief asks for about "
        f"{d['target_words']} (±{int(WORD_COUNT_TOLERANCE * 100)}%)",
        "heading_levels": "do not skip heading levels: " + ", ".join(d["skipped_heading_levels"]),
        "no_repeated_paragraphs": "do not repeat paragraphs",
        "readable": f"reading ease is {d['reading_ease']}; use shorter sentences and plainer words "
        f"(at least {MIN_READING_EASE:.0f})",
        "internal_links": f"link to the related articles of the site (has {d['internal_links']})",
    }
    return [lines[name] for name in report.failing]
