"""Mapping one CSV record of a known export format to a ``KeywordRow``.

Column indexes are looked up once per file (``ColumnMap``); per record only the mapped cells are
converted, with the digit-only fast path of ``parse_number`` covering most cells of real files.
"""

from __future__ import annotations

import contextlib
import csv
import math
import re
from collections.abc import Iterator
from typing import Any

from shared.keyword_files.dialect import Dialect, reader
from shared.keyword_files.formats import ColumnMap
from shared.keyword_files.model import ExportFormat, KeywordRow, ParsedExport, RowError
from shared.keyword_files.values import (
    BadValue,
    Number,
    clean_keyword,
    normalize_intent,
    parse_flag,
    parse_number,
    range_midpoint,
    split_range,
)

MAX_KEYWORD_LENGTH = 300
"""Longest keyword, in characters after trimming: the JSON route's limit (``Text`` in
``shared/api/models.py``), so a keyword the API takes as JSON is never refused in a file."""
MAX_CPC = 1_000_000
"""Highest cost per click: the JSON route's limit (``MAX_CPC`` in ``shared/api/models.py``)."""
_MEMO_SIZE = 20_000
# C0/C1 controls and lone surrogates (only possible in text handed in as str).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_HINT_INT = "write a whole number such as 1200, or leave the cell empty"
_HINT_SCORE = "write a score from 0 to 100, or leave the cell empty"
_HINT_PRICE = "write an amount such as 1.20, or leave the cell empty"


def keyword_problem(raw: str, keyword: str) -> str | None:
    """What is wrong with a keyword cell (empty, too long, control characters), or None."""
    if not keyword:
        return "the keyword is empty: fill it in or delete the row"
    if "\n" in raw or "\r" in raw:
        return (
            'the keyword spans several lines: a quote (") in the file is probably not closed, so the '
            "lines after it were read into this cell; close or remove the quote"
        )
    if len(keyword) > MAX_KEYWORD_LENGTH:
        return (
            f"the keyword is {len(keyword):,} characters long; shorten it to at most "
            f"{MAX_KEYWORD_LENGTH} characters"
        )
    if _CONTROL.search(keyword):
        return "the keyword contains control characters: re-export the file as text (CSV)"
    return None


def _whole(value: float) -> int:
    """Round half up (1234.5 -> 1235), not to even as ``round`` does."""
    return math.floor(value + 0.5)


class RowMapper:
    """Maps records of one file to ``KeywordRow``s; counts what the notes must mention."""

    def __init__(self, export_format: ExportFormat, columns: ColumnMap, dialect: Dialect) -> None:
        self.format = export_format
        self.columns = columns
        self.dialect = dialect
        self.decimal_comma = dialect.decimal_comma
        fields = columns.fields
        # A record never has this many cells: no keyword column means every keyword is empty.
        self.keyword = fields.get("keyword", 1 << 30)
        self.volume = fields.get("volume")
        self.volume_low = fields.get("volume_low")
        self.volume_high = fields.get("volume_high")
        self.difficulty = fields.get("difficulty")
        self.competition = fields.get("competition_index") if self.difficulty is None else None
        self.intent = fields.get("intent")
        self.cpc = fields.get("cpc")
        self.cpc_low = fields.get("cpc_low")
        self.cpc_high = fields.get("cpc_high")
        self.position = fields.get("position")
        self.ranges = 0
        self.bounded = 0
        self.unknown_intents: dict[str, int] = {}
        # Cells repeat a lot (Semrush volumes come in buckets, difficulty is 0-100, "0%", "USD"):
        # a bounded memo of parsed cells (a number, or the BadValue message) halves the time.
        self._parsed: dict[str, Number | str | None] = {}
        self._ranges: dict[str, float] = {}

    def rows(self, text: str, result: ParsedExport, max_rows: int | None) -> Iterator[KeywordRow]:
        """Records after the header, as rows; bad ones go to ``result.errors``.

        Stops after ``max_rows`` non-blank records and sets ``result.truncated`` if more follow.
        """
        records = reader(text, self.dialect.delimiter)
        previous_line = 0
        count = 0
        for _ in range((self.dialect.header_index or 0) + 1):
            with contextlib.suppress(csv.Error):  # sniff_dialect already read these lines
                next(records, None)
            previous_line = records.line_num
        while True:
            try:
                record = next(records)
            except StopIteration:
                return
            except csv.Error as error:
                count += 1
                result.errors.append(
                    RowError(
                        previous_line + 1, f"the row cannot be read ({error}): check for an unclosed quote"
                    )
                )
                if records.line_num == previous_line:
                    return
                previous_line = records.line_num
                continue
            line = previous_line + 1
            previous_line = records.line_num
            if not any(cell.strip() for cell in record):
                continue
            if count == max_rows:
                result.truncated = True
                return
            count += 1
            problems: list[str] = []
            row = self._map(record, line, problems)
            if problems:
                result.errors.append(RowError(line, "; ".join(problems)))
            elif row is not None:
                yield row

    def _map(self, record: list[str], line: int, problems: list[str]) -> KeywordRow | None:
        raw_keyword = record[self.keyword] if self.keyword < len(record) else ""
        keyword = clean_keyword(raw_keyword)
        problem = keyword_problem(raw_keyword, keyword)
        if problem:
            problems.append(problem)
        width = len(record)
        volume: int | None = None
        if self.volume is not None and self.volume < width:
            volume = self._volume(record[self.volume], self.volume, problems)
        elif self.volume_low is not None or self.volume_high is not None:
            volume = self._volume_bounds(record, problems)
        difficulty = self._score(record, self.difficulty, problems)
        if difficulty is None and self.competition is not None:
            difficulty = self._score(record, self.competition, problems)
        cpc = self._amount(record, self.cpc, problems)
        if cpc is None and (self.cpc_low is not None or self.cpc_high is not None):
            bids = [
                b
                for b in (self._amount(record, i, problems) for i in (self.cpc_low, self.cpc_high))
                if b is not None
            ]
            cpc = round(sum(bids) / len(bids), 2) if bids else None
        if cpc is not None and cpc > MAX_CPC:
            column = self._header(self.cpc) if self.cpc is not None else "'CPC'"
            problems.append(f"{column}: {cpc:,g} is out of range (at most {MAX_CPC:,}); {_HINT_PRICE}")
        position = self._amount(record, self.position, problems, hint="write a ranking position such as 4.2")
        intent = self._intent(record)
        if problems:
            return None
        return KeywordRow(
            keyword=keyword,
            volume=volume,
            difficulty=difficulty,
            intent=intent,
            cpc=cpc,
            position=position,
            extra=self._extra(record),
            row=line,
        )

    def _parse(self, raw: str) -> Number | None:
        """``parse_number`` with the file's decimal mark, memoised; raises ``BadValue``."""
        try:
            value = self._parsed[raw]
        except KeyError:
            try:
                value = parse_number(raw, decimal_comma=self.decimal_comma)
            except BadValue as error:
                value = str(error)
            if len(self._parsed) < _MEMO_SIZE:
                self._parsed[raw] = value
        if isinstance(value, str):
            raise BadValue(value)
        return value

    def _number(self, raw: str, index: int, problems: list[str], hint: str) -> Number | None:
        try:
            value = self._parse(raw)
        except BadValue as error:
            problems.append(f"{self._header(index)}: {error}; {hint}")
            return None
        if value is not None and value < 0:
            problems.append(f"{self._header(index)}: {raw.strip()!r} is negative; {hint}")
            return None
        return value

    def _volume(self, raw: str, index: int, problems: list[str]) -> int | None:
        midpoint = self._ranges.get(raw)
        if midpoint is None and not (raw.isascii() and raw.isdigit()):
            midpoint = self._range(raw)
        if midpoint is not None:
            self.ranges += 1
            return _whole(midpoint)
        value = self._number(raw, index, problems, _HINT_INT)
        return None if value is None else _whole(value)

    def _range(self, raw: str) -> float | None:
        """Midpoint of a volume range such as ``1K – 10K``, or None when the cell is no range."""
        bounds = split_range(raw)
        if bounds is None:
            return None
        try:
            low, high = self._parse(bounds[0]), self._parse(bounds[1])
        except BadValue:
            return None
        if low is None or high is None or low < 0 or high < 0:
            return None
        midpoint = range_midpoint(low, high)
        if len(self._ranges) < _MEMO_SIZE:
            self._ranges[raw] = midpoint
        return midpoint

    def _volume_bounds(self, record: list[str], problems: list[str]) -> int | None:
        found = [
            self._number(record[i], i, problems, _HINT_INT)
            for i in (self.volume_low, self.volume_high)
            if i is not None and i < len(record)
        ]
        bounds = [value for value in found if value is not None]
        if not bounds:
            return None
        self.bounded += len(bounds) == 2
        return _whole(range_midpoint(min(bounds), max(bounds)))

    def _score(self, record: list[str], index: int | None, problems: list[str]) -> int | None:
        if index is None or index >= len(record):
            return None
        value = self._number(record[index], index, problems, _HINT_SCORE)
        if value is None:
            return None
        if value > 100:
            problems.append(f"{self._header(index)}: {record[index].strip()!r} is over 100; {_HINT_SCORE}")
            return None
        return _whole(value)

    def _amount(
        self, record: list[str], index: int | None, problems: list[str], hint: str = _HINT_PRICE
    ) -> float | None:
        if index is None or index >= len(record):
            return None
        value = self._number(record[index], index, problems, hint)
        return None if value is None else float(value)

    def _intent(self, record: list[str]) -> str | None:
        width = len(record)
        if self.intent is not None and self.intent < width:
            raw = record[self.intent].strip()
            if raw:
                intent = normalize_intent(raw)
                if intent is None:
                    self.unknown_intents[raw] = self.unknown_intents.get(raw, 0) + 1
                return intent
        for index, name in self.columns.intent_flags:
            if index < width and parse_flag(record[index]):
                return name
        return None

    def _extra(self, record: list[str]) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        width = len(record)
        for name, index, kind in self.columns.extras:
            extra[name] = self._extra_value(record[index], kind) if index < width else None
        if self.columns.monthly:
            extra["monthly_searches"] = {
                label: self._extra_value(record[index], "int") if index < width else None
                for index, label in self.columns.monthly
            }
        return extra

    def _extra_value(self, raw: str, kind: str) -> Any:
        """Extras are informative: a value that is not a number is kept as written, never an error."""
        text = raw.strip()
        if kind == "text" or not text:
            return text or None
        try:
            value = self._parse(text)
        except BadValue:
            return text
        if value is None:
            return None
        if kind == "int":
            return _whole(value)
        if kind == "ctr":
            return round(value / 100 if text.endswith("%") or value > 1 else float(value), 6)
        return float(value)

    def _header(self, index: int) -> str:
        return repr(self.columns.headers[index].replace("\ufeff", "").strip())

    def notes(self, result: ParsedExport) -> list[str]:
        """What the user should know about how this file's numbers were read."""
        notes: list[str] = []
        fields = self.columns.fields
        if self.format is ExportFormat.GSC and "volume" in fields:
            notes.append(
                "volume taken from impressions: Search Console reports impressions in the exported "
                "period, not monthly search volume; clicks, impressions, ctr (a fraction 0-1) and "
                "position are kept in extra"
            )
        if self.ranges:
            notes.append(
                f"{self.ranges:,} volume(s) given as a range (such as '1K – 10K') were set to the range's "
                "geometric midpoint (1K – 10K -> 3,162; a range from 0 uses the arithmetic midpoint)"
            )
        if self.bounded:
            bounds = " and ".join(repr(self.columns.header(n)) for n in ("volume_low", "volume_high"))
            notes.append(
                f"volume is the geometric midpoint of {bounds} ({self.bounded:,} row(s); "
                "the arithmetic midpoint when the minimum is 0)"
            )
        if self.competition is not None:
            notes.append(
                f"difficulty taken from {self.columns.header('competition_index')!r} (0-100): Keyword "
                "Planner's advertiser competition, used because the file has no ranking difficulty"
            )
        if self.cpc is None and (self.cpc_low is not None or self.cpc_high is not None):
            bids = [self.columns.header(n) for n in ("cpc_low", "cpc_high") if n in fields]
            notes.append(f"cpc is the mean of {' and '.join(map(repr, bids))} (the bids present in each row)")
        if self.unknown_intents:
            examples = ", ".join(repr(v) for v in list(self.unknown_intents)[:3])
            count = sum(self.unknown_intents.values())
            notes.append(
                f"{count:,} row(s) had an intent the planner does not use ({examples}); their intent "
                "is empty (the planner knows informational, navigational, commercial, transactional)"
            )
        if self.columns.intent_flags and self.intent is None:
            names = ", ".join(self.columns.headers[i].strip() for i, _ in self.columns.intent_flags)
            notes.append(f"intent is the first true column of {names}")
        if not result.rows and not result.errors and not result.duplicates:
            notes.append("the file has a header row but no keyword rows")
        return notes
