"""The offline provider's text toolkit: tokens, stems, stopwords, keyword kinds and headlines.

The local provider answers every function without an AI model when no key is configured
(``shared/functions/*/offline.py``); these rules, shared by those answers, read keywords the way
a person would: lower-cased and accent-folded words, SEO intent modifiers ("best", "how", "vs")
set apart from topic terms, light stemming so "grinders" meets "grinder", and the kind of page a
keyword asks for (how-to, comparison, commercial, question, plain topic). Deterministic: no
``hash()``, no randomness.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being below
    between both but by could did didnt do does doesnt doing dont down during each few for from further
    had has have having he her here hers herself him himself his i id ill im ive if in into is isnt it
    its itself just let lets me more most my myself no nor not now of off on once only or other our ours
    ourselves out own same she should so some such than that thats the their theirs them themselves
    then there these they this those through to too under until up very was wasnt we were what whats
    when where which while who whom why will with wont would you your youre yours yourself yourselves
    also cant cannot get got still yet another anyone anything someone something way ways really
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# SEO intent modifiers and product-line suffixes: they say what kind of page, not which topic.
_MODIFIER_TEXT = """
    best top good better great cheap cheapest affordable budget buy buying purchase price prices pricing
    cost costs sale deal deals discount review reviews rated rating vs versus near online how what why
    which can make use using used new free guide tips ideas easy simple list examples example much many
    long often go going pro plus max mini ultra lite
"""
MODIFIERS = frozenset(_MODIFIER_TEXT.split())

_TOKEN_RE = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")


def fold(text: str) -> str:
    """Return ``text`` NFKC-normalised, case-folded, without accents and apostrophes."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", stripped)


def words(text: str) -> list[str]:
    """Split ``text`` into folded word tokens (letters and digits; punctuation separates)."""
    return _TOKEN_RE.findall(fold(text))


def _has_vowel(stem: str) -> bool:
    return any(ch in "aeiouy" for ch in stem)


def _undouble(stem: str) -> str:
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeioulsz":
        return stem[:-1]
    return stem


def stem(word: str) -> str:
    """Lightly stem a folded word: plural, "-ing"/"-ed" endings and a final "e" are removed."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5 and _has_vowel(word[:-3]):
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 5 and _has_vowel(word[:-2]):
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def is_significant(word: str) -> bool:
    """Tell whether a folded word carries topic meaning (not a stopword, modifier or bare number)."""
    return len(word) > 1 and not word.isdigit() and word not in STOPWORDS and word not in MODIFIERS


def significant_terms(text: str) -> list[tuple[str, str]]:
    """Return ``(stem, surface word)`` pairs of the meaningful words of ``text``, in order."""
    return [(stem(w), w) for w in words(text) if is_significant(w)]


_SMALL_WORD_TEXT = "a an and as at but by for from in into of on or per the to via vs with"
_SMALL_WORDS = frozenset(_SMALL_WORD_TEXT.split())


def title_case(text: str) -> str:
    """Title-case words as headline style: ``"how to use a v60"`` -> ``"How to Use a V60"``.

    Small words stay lower case except at the start or after a colon; a word already holding a
    capital after its first letter ("iPhone", "DeLonghi") is kept as written, and a short word without
    vowels is an abbreviation ("xl" -> "XL").
    """
    result: list[str] = []
    for position, word in enumerate(text.split()):
        starts = position == 0 or result[-1].endswith(":")
        if any(ch.isupper() for ch in word[1:]):
            result.append(word)
        elif word.lower() in _SMALL_WORDS and not starts:
            result.append(word.lower())
        elif len(word) <= 3 and word.isalpha() and not any(ch in "aeiouy" for ch in word.lower()):
            result.append(word.upper())
        else:
            result.append(word[:1].upper() + word[1:])
    return " ".join(result)


DEFAULT_WORD_COUNT = 1200
MIN_WORD_COUNT = 300
MAX_WORD_COUNT = 2000
META_TITLE_LIMIT = 60
META_DESCRIPTION_LIMIT = 160
MAX_HUB_SECTIONS = 5
MAX_KEYWORD_SECTIONS = 8
MAX_SUBSECTIONS = 3
MAX_FAQ = 6
OFFLINE_TAG = "offline draft"

_QUESTION_TEXT = (
    "how what why when where which who whose can could does do did is are was were should will would"
)
QUESTION_WORDS = frozenset(_QUESTION_TEXT.split())
_COMMERCIAL_TEXT = (
    "best top cheap cheapest affordable budget review reviews buy under price prices deal deals sale"
)
COMMERCIAL_WORDS = frozenset(_COMMERCIAL_TEXT.split())
COMPARISON_WORDS = frozenset({"vs", "versus"})

HOW_TO, COMPARISON, COMMERCIAL, QUESTION, TOPIC = "how_to", "comparison", "commercial", "question", "topic"
CONTENT_TYPES = {HOW_TO: "tutorial", COMPARISON: "article", COMMERCIAL: "blog_post", QUESTION: "article"}
CONTENT_TYPES[TOPIC] = "blog_post"


def classify(keyword: str) -> str:
    """Kind of search behind a keyword: how_to, comparison, commercial, question or topic."""
    tokens = words(keyword)
    if not tokens:
        return TOPIC
    if tokens[0] == "how" and len(tokens) > 1 and tokens[1] == "to":
        return HOW_TO
    if COMPARISON_WORDS.intersection(tokens):
        return COMPARISON
    if tokens[0] in QUESTION_WORDS or keyword.strip().endswith("?"):
        return QUESTION
    if COMMERCIAL_WORDS.intersection(tokens):
        return COMMERCIAL
    return TOPIC


@dataclass
class KeywordInfo:
    """A keyword with its kind and meaningful terms (stems and written forms)."""

    text: str
    kind: str
    stems: list[str]
    surfaces: list[str]


@dataclass
class ClusterView:
    """What the idea rules need to know about one cluster's keywords."""

    keywords: list[KeywordInfo]
    coverage: Counter[str]
    head: KeywordInfo
    forms: dict[str, str] = field(default_factory=dict)
    rarity: dict[str, float] = field(default_factory=dict)


def clean(text: object) -> str:
    """A single-line, whitespace-collapsed string."""
    return " ".join(str(text or "").split())


def unique(items: Iterable[str]) -> list[str]:
    """Items without blanks and without case-insensitive repeats, first occurrence kept."""
    seen: set[str] = set()
    result = []
    for item in items:
        cleaned = clean(item)
        key = cleaned.casefold()
        if cleaned and key not in seen:
            seen.add(key)
            result.append(cleaned)
    return result


def analyse(texts: Sequence[str]) -> list[KeywordInfo]:
    analysed = []
    for text in unique(texts):
        pairs = significant_terms(text)
        analysed.append(KeywordInfo(text, classify(text), [p[0] for p in pairs], [p[1] for p in pairs]))
    return analysed


def cluster_view(texts: Sequence[str], fallback: str, rarity: dict[str, float] | None = None) -> ClusterView:
    """Analyse a keyword list and pick its head keyword.

    The head is the keyword whose terms the others share most (summed coverage over the square root
    of its term count), plain topics and shorter wordings winning ties. ``rarity`` weights terms
    (an IDF over all clusters of the request) so subtopics favour distinctive words.
    """
    keywords = analyse(texts) or analyse([fallback or "topic"])
    coverage: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for keyword in keywords:
        coverage.update(dict.fromkeys(keyword.stems, 1))
        for stem_, surface in zip(keyword.stems, keyword.surfaces, strict=True):
            forms.setdefault(stem_, Counter())[surface] += 1

    def centrality(item: tuple[int, KeywordInfo]) -> tuple[float, bool, int, int]:
        index, keyword = item
        shared = sum(coverage[s] for s in keyword.stems) / math.sqrt(len(keyword.stems) or 1)
        return (shared, keyword.kind == TOPIC, -len(keyword.text.split()), -index)

    head = max(enumerate(keywords), key=centrality)[1]
    written = {s: c.most_common(1)[0][0] for s, c in forms.items()}
    return ClusterView(keywords=keywords, coverage=coverage, head=head, forms=written, rarity=rarity or {})


def rarity(clusters: Sequence[Sequence[str]]) -> dict[str, float]:
    """Smoothed IDF of each term over every keyword of the request."""
    df: Counter[str] = Counter()
    total = 0
    for texts in clusters:
        for text in unique(texts):
            total += 1
            df.update(dict.fromkeys((s for s, _ in significant_terms(text)), 1))
    return {term: math.log((1 + total) / (1 + count)) + 1.0 for term, count in df.items()}


def subtopics(view: ClusterView) -> list[str]:
    """Stems beyond the head keyword's, by how many keywords share them times their rarity."""
    order = {s: i for i, s in enumerate(s for k in view.keywords for s in k.stems)}
    head = set(view.head.stems)
    stems = [s for s in view.coverage if s not in head]
    return sorted(stems, key=lambda s: (-view.coverage[s] * view.rarity.get(s, 1.0), order[s]))


def beyond_head(keyword: KeywordInfo, head: KeywordInfo) -> str:
    """The words of ``keyword`` that are not the head's: "dual boiler espresso machine" -> "dual boiler"."""
    extra = [w for s, w in zip(keyword.stems, keyword.surfaces, strict=True) if s not in head.stems]
    return " ".join(extra)


def headline(keyword: str) -> str:
    """A keyword as a heading: title case, question mark for questions."""
    text = title_case(clean(keyword).rstrip("?"))
    return f"{text}?" if classify(keyword) == QUESTION else text


def and_list(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def content_type_for(keyword: KeywordInfo) -> str:
    """Paragraph, list or table for an outline subsection about ``keyword``."""
    if keyword.kind == COMPARISON:
        return "table"
    if keyword.kind in (COMMERCIAL, HOW_TO):
        return "list"
    return "paragraph"


def comparison_sides(keyword: str) -> tuple[str, str]:
    """``"burr vs blade grinder"`` -> ``("burr", "blade grinder")``."""
    parts = re.split(r"\s+(?:vs\.?|versus)\s+", clean(keyword), maxsplit=1, flags=re.IGNORECASE)
    if len(parts) == 2 and parts[0] and parts[1]:
        return parts[0], parts[1]
    return clean(keyword), ""
