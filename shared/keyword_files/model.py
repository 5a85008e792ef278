"""Result types of the keyword-export parser.

They are plain dataclasses, so the API route can turn them into JSON with ``dataclasses.asdict``
and the CLI can print them without knowing how a file was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ExportError(ValueError):
    """The file as a whole cannot be read (empty, binary, no keyword column).

    The message is written for the person who uploaded the file: it says what to do instead.
    Problems of single rows are never raised; they are collected in ``ParsedExport.errors``.
    """


class ExportFormat(StrEnum):
    """The keyword tool whose export a file is, recognised by its header row."""

    SEMRUSH = "semrush"
    AHREFS = "ahrefs"
    MOZ = "moz"
    GSC = "gsc"
    KEYWORD_PLANNER = "keyword_planner"
    PLAIN = "plain"


@dataclass(slots=True)
class KeywordRow:
    """One keyword of the file, mapped to the planner's fields.

    ``row`` is the 1-based line number where the record starts, as an editor shows it.
    ``extra`` holds the tool's further columns that have no planner field (GSC clicks,
    impressions and ctr, Ahrefs traffic potential, Keyword Planner bids, monthly searches ...).
    """

    keyword: str
    volume: int | None = None
    difficulty: int | None = None
    intent: str | None = None
    cpc: float | None = None
    position: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    row: int = 0

    def as_keyword_input(self) -> dict[str, Any]:
        """The row in the shape ``POST /v1/planner/keywords/`` takes (unknown values left out)."""
        record: dict[str, Any] = {"keyword": self.keyword}
        for name in ("volume", "difficulty", "intent", "cpc"):
            value = getattr(self, name)
            if value is not None:
                record[name] = value
        return record


@dataclass(frozen=True, slots=True)
class RowError:
    """A skipped row: its 1-based line number in the file and what to fix."""

    row: int
    message: str


@dataclass(frozen=True, slots=True)
class DuplicateRow:
    """A row whose normalised keyword already appeared at ``first_row``; it was not kept."""

    row: int
    keyword: str
    first_row: int


@dataclass
class ParsedExport:
    """Everything read from one export file.

    ``notes`` explains the choices made for this file (for example that Search Console
    impressions became the volume) so the user can judge the numbers. ``columns`` maps each
    planner field to the header it was read from. ``truncated`` is true when ``max_rows`` stopped
    the reading before the end of the file.
    """

    format: ExportFormat
    rows: list[KeywordRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[DuplicateRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    delimiter: str = ","
    header_row: int | None = None
    truncated: bool = False
