"""Delimiter and header row of a keyword export.

Semrush, Ahrefs, Moz and Search Console write comma-separated files with the header on the
first line; Keyword Planner writes tab-separated UTF-16 with two title lines above the header;
Excel in European locales saves with semicolons. The header row is the first row with a keyword
column (``Keyword``, ``Query``, ``Top queries`` ...), which also tells which delimiter is right:
only the right one splits that row into cells one of which is a keyword header.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.keyword_files.formats import KEYWORD_HEADERS, is_keyword_header
from shared.keyword_files.model import ExportError

if TYPE_CHECKING:
    from _csv import Reader

DELIMITERS = (",", ";", "\t", "|")
"""Tried in this order; the first wins a tie (a one-column file reads the same with any of them)."""
LIST_DELIMITER = "\n"
"""``Dialect.delimiter`` of a headerless list: every non-empty line is one keyword."""

_SAMPLE_CHARS = 65536
_MAX_TITLE_ROWS = 20
_CONSISTENCY_ROWS = 50


@dataclass(frozen=True)
class Dialect:
    """How to read a file.

    ``header_index`` is the number of CSV records before the header row (title lines and blank
    lines), ``header_line`` the header's 1-based line number, ``header`` its cells as written.
    A headerless one-column list has ``delimiter == LIST_DELIMITER`` and ``header_index None``.
    """

    delimiter: str
    header_index: int | None
    header_line: int | None
    header: tuple[str, ...]

    @property
    def decimal_comma(self) -> bool:
        """Semicolon-separated files come from Excel in locales that write ``1.200,50``."""
        return self.delimiter == ";"


def iter_lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ``\n``, without copying it (``io.StringIO`` would hold
    4 bytes per character); ``\r\n`` endings stay for the csv module to handle."""
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        if stop < 0:
            yield text[start:]
            return
        yield text[start : stop + 1]
        start = stop + 1


def reader(text: str, delimiter: str) -> Reader:
    """The CSV reader every part of the parser uses, so line numbers and quoting agree."""
    return csv.reader(iter_lines(text), delimiter=delimiter, skipinitialspace=True)


def sniff_dialect(text: str) -> Dialect:
    """Find the delimiter (tab, semicolon, comma or pipe) and the header row of ``text``.

    Every delimiter is tried on the first 64 KB. A candidate header is the first row with a
    keyword column, within the first 20 rows; a header below title lines must have at least
    two columns (tool exports do), so a headerless list that happens to contain the word
    "keywords" is not cut there. Among delimiters that find a header, the one giving the header
    the most columns wins, then the one whose following rows have as many cells as the header.

    Without any header row the file is a one-column list unless its rows consistently split
    into several cells, which raises ``ExportError`` (a table without a keyword column).
    """
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    best: tuple[tuple[int, int], Dialect] | None = None
    for delimiter in DELIMITERS:
        found = _find_header(sample, delimiter)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is not None:
        return best[1]
    _reject_headerless_table(sample)
    return Dialect(delimiter=LIST_DELIMITER, header_index=None, header_line=None, header=())


def _find_header(sample: str, delimiter: str) -> tuple[tuple[int, int], Dialect] | None:
    rows = reader(sample, delimiter)
    dialect: Dialect | None = None
    consistent = 0
    seen_content = False
    previous_line = 0
    try:
        for index, record in enumerate(rows):
            line = previous_line + 1
            previous_line = rows.line_num
            if dialect is not None:
                consistent += len(record) == len(dialect.header)
                if index - (dialect.header_index or 0) >= _CONSISTENCY_ROWS:
                    break
                continue
            if index >= _MAX_TITLE_ROWS:
                return None
            cells = [cell for cell in record if cell.strip()]
            if not cells:
                continue
            if any(is_keyword_header(cell) for cell in record) and (not seen_content or len(cells) >= 2):
                dialect = Dialect(delimiter, index, line, tuple(record))
            seen_content = True
    except csv.Error:
        return None
    if dialect is None:
        return None
    return (len(dialect.header), consistent), dialect


def _reject_headerless_table(sample: str) -> None:
    for delimiter in DELIMITERS:
        try:
            counts = [len(record) for record in reader(sample, delimiter) if any(c.strip() for c in record)]
        except csv.Error:
            continue
        if not counts:
            continue
        width, rows = Counter(counts).most_common(1)[0]
        if width >= 2 and rows >= 0.8 * len(counts):
            first = next(r for r in reader(sample, delimiter) if any(c.strip() for c in r))
            shown = ", ".join(repr(cell.strip()[:40]) for cell in first[:6])
            expected = ", ".join(repr(header.capitalize()) for header in KEYWORD_HEADERS)
            raise ExportError(
                f"no keyword column found: the first row ({shown}) has no header such as 'Keyword', "
                "'Query' or 'Top queries'; add a header row with a 'Keyword' column, or upload the "
                "file as the keyword tool exported it (Semrush, Ahrefs, Moz, Search Console, Keyword "
                f"Planner). Headers recognised as the keyword column: {expected}"
            )
