"""Which keyword tool wrote a file, and which of its columns feed which planner field.

Headers are compared after ``normalize_header`` (BOMs and quotes dropped, whitespace collapsed,
case folded), so ``"Keyword Difficulty"``, ``keyword  difficulty`` and ``\\ufeffKEYWORD DIFFICULTY``
are the same column. A format is recognised by counting its distinctive headers (columns only
that tool writes); columns every tool has (``Keyword``, ``Volume``, ``CPC``) decide nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.keyword_files.model import ExportFormat

KEYWORD_HEADERS = (
    "keyword",
    "keywords",
    "query",
    "top queries",
    "queries",
    "search term",
    "search terms",
    "search query",
    "keyphrase",
    "key phrase",
)
"""Headers of the keyword column in any format; the header row is the first row with one."""

INTENT_FLAG_HEADERS = ("informational", "navigational", "commercial", "transactional")
"""Ahrefs' per-intent true/false columns (it also writes ``Branded`` and ``Local``)."""

MONTHLY_PREFIX = "searches: "
"""Keyword Planner's monthly columns: ``Searches: Jan 2024`` ... ``Searches: Dec 2024``."""

_SIGNALS: dict[ExportFormat, frozenset[str]] = {
    ExportFormat.KEYWORD_PLANNER: frozenset(
        {
            "avg. monthly searches",
            "three month change",
            "yoy change",
            "competition (indexed value)",
            "top of page bid (low range)",
            "top of page bid (high range)",
            "currency",
            "ad impression share",
            "in account?",
            "in plan?",
        }
    ),
    ExportFormat.GSC: frozenset({"top queries", "clicks", "impressions"}),
    ExportFormat.MOZ: frozenset(
        {
            "monthly volume",
            "minimum monthly volume",
            "maximum monthly volume",
            "min volume",
            "max volume",
            "organic ctr",
            "priority",
        }
    ),
    ExportFormat.AHREFS: frozenset(
        {
            "#",
            "kd",
            "cps",
            "parent keyword",
            "parent topic",
            "traffic potential",
            "global volume",
            "global traffic potential",
            "last update",
            "first seen",
            "intents",
            "country",
            *INTENT_FLAG_HEADERS,
            "branded",
            "local",
        }
    ),
    ExportFormat.SEMRUSH: frozenset(
        {
            "intent",
            "keyword intents",
            "trend",
            "keyword difficulty",
            "keyword difficulty index",
            "kd %",
            "kd%",
            "competitive density",
            "number of results",
            "cpc (usd)",
            "search volume",
            "previous position",
            "position type",
            "traffic (%)",
            "traffic cost",
            "traffic cost (%)",
            "timestamp",
        }
    ),
}
_PREFIX_SIGNALS: dict[ExportFormat, tuple[str, ...]] = {
    ExportFormat.KEYWORD_PLANNER: (MONTHLY_PREFIX, "top of page bid ("),
    ExportFormat.SEMRUSH: ("cpc (",),
}
# Ties go to the tool whose signals are the most specific.
_PRIORITY = (
    ExportFormat.KEYWORD_PLANNER,
    ExportFormat.GSC,
    ExportFormat.MOZ,
    ExportFormat.AHREFS,
    ExportFormat.SEMRUSH,
)

# Aliases per planner field, best first; an alias ending in "*" matches headers starting with it.
_COMMON: dict[str, tuple[str, ...]] = {
    "keyword": KEYWORD_HEADERS,
    "volume": (
        "volume",
        "search volume",
        "avg. monthly searches",
        "monthly volume",
        "monthly searches",
        "sv",
    ),
    "difficulty": ("keyword difficulty", "difficulty", "kd", "kd %", "kd%", "keyword difficulty index"),
    "intent": ("intent", "intents", "search intent", "keyword intents"),
    "cpc": ("cpc", "cpc (usd)", "cpc (*", "cost per click"),
    "position": ("position", "average position", "avg. position", "current position"),
}
_FIELDS: dict[ExportFormat, dict[str, tuple[str, ...]]] = {
    ExportFormat.SEMRUSH: {
        **_COMMON,
        "volume": ("volume", "search volume"),
        "difficulty": ("keyword difficulty", "keyword difficulty index", "kd %", "kd%", "kd", "difficulty"),
        "cpc": ("cpc (usd)", "cpc", "cpc (*"),
    },
    ExportFormat.AHREFS: {
        **_COMMON,
        "volume": ("volume", "search volume", "global volume"),
        "difficulty": ("difficulty", "kd", "keyword difficulty"),
        "intent": ("intents", "intent"),
    },
    ExportFormat.MOZ: {
        **_COMMON,
        "volume": ("monthly volume", "volume"),
        "volume_low": ("minimum monthly volume", "min monthly volume", "min volume"),
        "volume_high": ("maximum monthly volume", "max monthly volume", "max volume"),
        "difficulty": ("difficulty", "keyword difficulty"),
    },
    ExportFormat.GSC: {
        "keyword": ("top queries", "query", "queries", "keyword"),
        "volume": ("impressions",),
        "position": ("position", "average position", "avg. position"),
    },
    ExportFormat.KEYWORD_PLANNER: {
        "keyword": ("keyword", "keywords"),
        "volume": ("avg. monthly searches",),
        "difficulty": ("keyword difficulty", "difficulty"),
        "competition_index": ("competition (indexed value)",),
        "cpc_low": ("top of page bid (low range)*",),
        "cpc_high": ("top of page bid (high range)*",),
    },
    ExportFormat.PLAIN: dict(_COMMON),
}
# Further columns kept in KeywordRow.extra: (name in extra, aliases, kind).
# Kinds: "int"/"float" numbers, "ctr" a fraction 0-1, "pct" a percentage as written, "text".
_EXTRAS: dict[ExportFormat, tuple[tuple[str, tuple[str, ...], str], ...]] = {
    ExportFormat.SEMRUSH: (
        ("competitive_density", ("competitive density",), "float"),
        ("competition", ("competition",), "float"),
        ("number_of_results", ("number of results",), "int"),
        ("serp_features", ("serp features",), "text"),
        ("trend", ("trend",), "text"),
        ("url", ("url",), "text"),
        ("traffic", ("traffic",), "float"),
        ("previous_position", ("previous position",), "float"),
    ),
    ExportFormat.AHREFS: (
        ("country", ("country",), "text"),
        ("cps", ("cps",), "float"),
        ("parent_keyword", ("parent keyword", "parent topic"), "text"),
        ("traffic_potential", ("traffic potential",), "int"),
        ("global_volume", ("global volume",), "int"),
        ("serp_features", ("serp features",), "text"),
        ("last_update", ("last update",), "text"),
    ),
    ExportFormat.MOZ: (
        ("organic_ctr", ("organic ctr",), "ctr"),
        ("priority", ("priority",), "int"),
    ),
    ExportFormat.GSC: (
        ("clicks", ("clicks",), "int"),
        ("impressions", ("impressions",), "int"),
        ("ctr", ("ctr",), "ctr"),
    ),
    ExportFormat.KEYWORD_PLANNER: (
        ("currency", ("currency",), "text"),
        ("competition", ("competition",), "text"),
        ("competition_index", ("competition (indexed value)",), "int"),
        ("three_month_change_pct", ("three month change",), "pct"),
        ("yoy_change_pct", ("yoy change",), "pct"),
        ("top_of_page_bid_low", ("top of page bid (low range)*",), "float"),
        ("top_of_page_bid_high", ("top of page bid (high range)*",), "float"),
    ),
    ExportFormat.PLAIN: (
        ("clicks", ("clicks",), "int"),
        ("impressions", ("impressions",), "int"),
        ("ctr", ("ctr",), "ctr"),
    ),
}


def normalize_header(cell: str) -> str:
    """Compare headers ignoring BOMs, surrounding quotes, whitespace and case."""
    return " ".join(cell.replace("\ufeff", "").strip().strip("\"'").split()).casefold()


def is_keyword_header(cell: str) -> bool:
    """True when the cell names a keyword column (``Keyword``, ``Query``, ``Top queries`` ...)."""
    return normalize_header(cell) in KEYWORD_HEADERS


def detect_format(headers: Sequence[str]) -> ExportFormat:
    """The tool that wrote a file with this header row; ``plain`` when no tool's columns appear.

    Each tool scores one point per distinctive header present (Semrush ``Keyword Difficulty``,
    ``CPC (USD)``, ``Intent``; Ahrefs ``#``, ``KD``, ``Parent Keyword``, ``Traffic potential``;
    Moz ``Monthly Volume``, ``Organic CTR``; Search Console ``Top queries``, ``Clicks``,
    ``Impressions``; Keyword Planner ``Avg. monthly searches``, ``Searches: <month>`` ...).
    The highest score wins; a tie goes to the more specific tool (Keyword Planner, Search
    Console, Moz, Ahrefs, Semrush).
    """
    names = [normalize_header(header) for header in headers]
    present = set(names)
    best, best_score = ExportFormat.PLAIN, 0
    for export_format in _PRIORITY:
        prefixes = _PREFIX_SIGNALS.get(export_format, ())
        score = len(present & _SIGNALS[export_format])
        score += sum(1 for name in names if prefixes and name.startswith(prefixes))
        if score > best_score:
            best, best_score = export_format, score
    return best


@dataclass
class ColumnMap:
    """Column indexes of one file's planner fields, extras and special columns."""

    headers: list[str]
    fields: dict[str, int] = field(default_factory=dict)
    extras: list[tuple[str, int, str]] = field(default_factory=list)
    intent_flags: list[tuple[int, str]] = field(default_factory=list)
    monthly: list[tuple[int, str]] = field(default_factory=list)

    def header(self, name: str) -> str:
        """The header as written in the file for a mapped field (for messages)."""
        return self.headers[self.fields[name]].replace("\ufeff", "").strip()

    def described(self) -> dict[str, str]:
        """Planner field -> header it is read from, for ``ParsedExport.columns``."""
        return {name: self.header(name) for name in self.fields}


def map_columns(export_format: ExportFormat, headers: Sequence[str]) -> ColumnMap:
    """Find the columns of ``export_format``'s fields, extras, intent flags and monthly searches."""
    names = [normalize_header(header) for header in headers]
    columns = ColumnMap(headers=list(headers))
    for name, aliases in _FIELDS[export_format].items():
        index = _find(names, aliases)
        if index is not None:
            columns.fields[name] = index
    if "keyword" not in columns.fields:
        # The header row was found by one of KEYWORD_HEADERS; use it whatever the format.
        index = _find(names, KEYWORD_HEADERS)
        if index is not None:
            columns.fields["keyword"] = index
    for name, aliases, kind in _EXTRAS.get(export_format, ()):
        index = _find(names, aliases)
        if index is not None:
            columns.extras.append((name, index, kind))
    if export_format is ExportFormat.AHREFS:
        columns.intent_flags = [(i, n) for i, n in enumerate(names) if n in INTENT_FLAG_HEADERS]
    if export_format is ExportFormat.KEYWORD_PLANNER:
        columns.monthly = [
            (i, headers[i].split(":", 1)[1].strip())
            for i, n in enumerate(names)
            if n.startswith(MONTHLY_PREFIX)
        ]
    return columns


def _find(names: list[str], aliases: tuple[str, ...]) -> int | None:
    for alias in aliases:
        if alias.endswith("*"):
            prefix = alias[:-1]
            for index, name in enumerate(names):
                if name.startswith(prefix):
                    return index
        elif alias in names:
            return names.index(alias)
    return None
