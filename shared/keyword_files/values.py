"""Cell values of keyword exports: keywords, numbers as every tool and locale writes them, ranges,
intents and true/false flags.

Everything here works on one cell at a time with plain string operations (one small compiled
pattern validates a cleaned number), so parsing stays linear and fast on 100,000-row files.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

INTENTS = ("informational", "navigational", "commercial", "transactional")
MAX_NUMBER = 10**12
"""Largest accepted magnitude: anything bigger is a broken cell, not a search volume."""

Number = int | float

_MISSING = frozenset({"", "-", "--", "–", "—", "n/a", "na", "null", "none", "no data", "not available"})
# Currency symbols, spaces used as thousands separators (also no-break and thin spaces) and the
# Swiss apostrophe are dropped before the separators are resolved.
_DROP = str.maketrans("", "", "$€£¥₹ \u00a0\u202f\u2009'’")
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SUFFIXES = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}
_NOT_FINITE = frozenset({"nan", "+nan", "-nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})
_INTENT_CODES = {
    # Semrush letters and its API's numeric codes (0 commercial, 1 informational, 2 navigational,
    # 3 transactional); full words and their prefixes are matched below.
    "c": "commercial",
    "i": "informational",
    "n": "navigational",
    "t": "transactional",
    "0": "commercial",
    "1": "informational",
    "2": "navigational",
    "3": "transactional",
}
_TRUE = frozenset({"true", "yes", "y", "1", "x", "✓", "✔"})


class BadValue(ValueError):
    """A cell that cannot be read as the number its column needs; the text says why."""


def normalize_keyword(text: str) -> str:
    """The key two spellings of one keyword share: NFC, lower case, whitespace collapsed.

    Same as ``shared.services.keywords.normalize_keyword`` (``" ".join(text.lower().split())``,
    formerly in ``shared/planner.py``) for every NFC string, which is what keyword tools write;
    NFC first only makes a decomposed "café" (e + combining accent) equal to the composed one.
    ``str.lower`` is kept rather than ``casefold`` on purpose: casefold would change the keys
    already stored for seed keywords ("straße" would become "strasse").
    """
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def clean_keyword(text: str) -> str:
    """The keyword as stored and shown: NFC, trimmed, inner whitespace collapsed, case kept."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def parse_number(raw: str, *, decimal_comma: bool = False) -> Number | None:
    """Read a number as keyword tools and spreadsheets write it; ``None`` for an empty cell.

    Accepts ``1200``, ``1,200``, ``1 200``, ``1'200``, ``12%`` (-> 12), ``0.5``, ``$1.20``,
    ``€0,80``, ``1.2K``/``3M``, ``1.2E+05`` and a leading ``<``/``>``. With both ``,`` and ``.``
    present the last one is the decimal mark. A lone separator followed by groups of exactly
    three digits is a thousands separator (``1,200`` -> 1200), otherwise a decimal mark
    (``0,80`` -> 0.8); in files with a decimal comma (semicolon-separated, as European Excel
    writes them) ``,`` is always the decimal mark and ``1.200`` is 1200.

    Raises ``BadValue`` for text that is not a number, NaN/infinity, or a magnitude over 10**12.
    """
    text = raw.strip()
    if text.isascii():
        # Fast paths for the cells most files are made of: 1200 and 0.45.
        if text.isdigit():
            value = int(text)
            if value > MAX_NUMBER:
                raise BadValue(f"{text!r} is out of range (at most {MAX_NUMBER:,})")
            return value
        if not decimal_comma and text.replace(".", "", 1).isdigit():
            number = float(text)
            if number > MAX_NUMBER:
                raise BadValue(f"{text!r} is out of range (at most {MAX_NUMBER:,})")
            return number
    folded = text.casefold()
    if folded in _MISSING:
        return None
    if folded in _NOT_FINITE:
        raise BadValue(f"{text!r} is not a finite number")
    text = text.translate(_DROP).replace("\u2212", "-").lstrip("<>≤≥~").removesuffix("%")
    multiplier = 1
    if len(text) > 1 and text[-1].lower() in _SUFFIXES:
        multiplier = _SUFFIXES[text[-1].lower()]
        text = text[:-1]
    text = _resolve_separators(text, decimal_comma)
    if not _NUMBER.fullmatch(text):
        raise BadValue(f"{raw.strip()!r} is not a number")
    number = float(text) * multiplier
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise BadValue(f"{raw.strip()!r} is out of range (at most {MAX_NUMBER:,})")
    return number


def _resolve_separators(text: str, decimal_comma: bool) -> str:
    comma, dot = "," in text, "." in text
    if comma and dot:
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if comma:
        if (not decimal_comma or text.count(",") > 1) and _grouped(text, ","):
            return text.replace(",", "")
        return text.replace(",", ".") if text.count(",") == 1 else text
    if dot and (decimal_comma or text.count(".") > 1) and _grouped(text, "."):
        return text.replace(".", "")
    return text


def _grouped(text: str, separator: str) -> bool:
    """True for ``1,234,567``-style thousands grouping (first group 1-3 digits, not 0)."""
    head, *groups = text.lstrip("+-").split(separator)
    return (
        0 < len(head) <= 3
        and head.isdigit()
        and head[0] != "0"
        and all(len(group) == 3 and group.isdigit() for group in groups)
    )


def split_range(raw: str) -> tuple[str, str] | None:
    """``("1K", "10K")`` for ``1K – 10K`` (en/em dash or hyphen between two values), else None."""
    text = raw.strip()
    for dash in ("–", "—"):
        if dash in text:
            low, _, high = text.partition(dash)
            return low, high
    at = text.find("-", 1)
    if at > 0 and text[at - 1] not in "eE":
        return text[:at], text[at + 1 :]
    return None


def range_midpoint(low: float, high: float) -> float:
    """Geometric midpoint of a volume range (``1K – 10K`` -> 3,162; ``10 – 100`` -> 32).

    Keyword Planner's buckets are powers of ten and volumes spread roughly evenly on a log
    scale, so the geometric mean is the bucket's centre; the arithmetic mean is used when the
    range starts at 0 (``0 – 10`` -> 5), where the geometric one would be 0.
    """
    low, high = min(low, high), max(low, high)
    return (low + high) / 2 if low <= 0 else math.sqrt(low * high)


@lru_cache(maxsize=4096)
def normalize_intent(raw: str) -> str | None:
    """The first recognised intent of a cell, or None.

    Handles Semrush words (``Commercial``, ``Informational, Transactional``), its letters
    (``C``/``I``/``N``/``T``) and numeric codes (``0``-``3``), and Ahrefs lists
    (``Informational, Commercial``); intents the planner does not know (``Branded``, ``Local``)
    are passed over. Words match by their first four letters, as
    ``shared.services.keywords.normalize_intent`` does.
    """
    for part in raw.replace("/", ",").replace(";", ",").replace("|", ",").split(","):
        value = part.strip().casefold()
        if not value:
            continue
        if value in _INTENT_CODES:
            return _INTENT_CODES[value]
        for intent in INTENTS:
            if value.startswith(intent[:4]):
                return intent
    return None


def parse_flag(raw: str) -> bool:
    """True/false cells of Ahrefs' per-intent columns (``true``, ``TRUE``, ``1``, ``yes``, ``x``)."""
    return raw.strip().casefold() in _TRUE
