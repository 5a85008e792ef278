"""``parse_export``: an uploaded keyword-tool export to keyword rows, errors, duplicates and notes.

The file is read once, record by record, with the C ``csv`` reader; each record is mapped with
precomputed column indexes and cheap per-cell conversions. A bad row becomes a ``RowError``
naming the column, the value and what to write instead; it is skipped and never raises.
"""

from __future__ import annotations

from collections.abc import Iterator

from shared.keyword_files.decoding import decode_with_encoding
from shared.keyword_files.dialect import LIST_DELIMITER, iter_lines, sniff_dialect
from shared.keyword_files.formats import detect_format, map_columns
from shared.keyword_files.mapping import MAX_CPC, MAX_KEYWORD_LENGTH, RowMapper, keyword_problem
from shared.keyword_files.model import (
    DuplicateRow,
    ExportError,
    ExportFormat,
    KeywordRow,
    ParsedExport,
    RowError,
)
from shared.keyword_files.values import clean_keyword, normalize_keyword

__all__ = ["MAX_CPC", "MAX_KEYWORD_LENGTH", "parse_export"]


def parse_export(data: bytes | str, *, max_rows: int | None = None) -> ParsedExport:
    """Read a Semrush, Ahrefs, Moz, Search Console, Keyword Planner or plain keyword export.

    ``data`` is the uploaded file (bytes, any encoding ``decode_export`` knows) or already
    decoded text. ``max_rows`` bounds the data rows read (good and bad); when the file has more,
    reading stops, ``truncated`` is set and a note says so.

    Raises ``ExportError`` only when the file as a whole is unusable (empty, binary, a table
    without a keyword column); every problem of a single row is reported in ``errors``.
    """
    if isinstance(data, bytes):
        text, encoding = decode_with_encoding(data)
    else:
        text, encoding = data.removeprefix("\ufeff"), "text"
        if not text.strip():
            raise ExportError("the file is empty; export the keyword list again and upload the CSV")
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")  # classic Mac line endings
    dialect = sniff_dialect(text)
    if dialect.header_index is None:
        result = ParsedExport(format=ExportFormat.PLAIN, encoding=encoding, delimiter=LIST_DELIMITER)
        result.columns = {"keyword": "(one keyword per line, no header)"}
        result.notes.append("no header row: every non-empty line was read as one keyword")
        _collect(result, _list_rows(text, result, max_rows))
        return result
    export_format = detect_format(dialect.header)
    columns = map_columns(export_format, dialect.header)
    result = ParsedExport(
        format=export_format,
        encoding=encoding,
        delimiter=dialect.delimiter,
        header_row=dialect.header_line,
        columns=columns.described(),
    )
    if dialect.header_index:
        result.notes.append(
            f"skipped {dialect.header_index} line(s) above the header row (line {dialect.header_line})"
        )
    mapper = RowMapper(export_format, columns, dialect)
    _collect(result, mapper.rows(text, result, max_rows))
    result.notes.extend(mapper.notes(result))
    return result


def _collect(result: ParsedExport, rows: Iterator[KeywordRow]) -> None:
    """Keep the first row of every normalised keyword, record later ones as duplicates."""
    first_rows: dict[str, int] = {}
    for row in rows:
        norm = normalize_keyword(row.keyword)
        first = first_rows.get(norm)
        if first is None:
            first_rows[norm] = row.row
            result.rows.append(row)
        else:
            result.duplicates.append(DuplicateRow(row=row.row, keyword=row.keyword, first_row=first))
    if result.truncated:
        limit = len(result.rows) + len(result.duplicates) + len(result.errors)
        result.notes.append(
            f"stopped after {limit:,} rows, the limit for one import: split the file into parts of "
            f"at most {limit:,} rows and import each"
        )


def _list_rows(text: str, result: ParsedExport, max_rows: int | None) -> Iterator[KeywordRow]:
    """A headerless list: one keyword per line, quotes around a whole line removed."""
    count = 0
    for line_number, line in enumerate(iter_lines(text), start=1):
        raw = line.strip()
        if not raw:
            continue
        if count == max_rows:
            result.truncated = True
            return
        count += 1
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = raw[1:-1].replace('""', '"')
        keyword = clean_keyword(raw)
        problem = keyword_problem(raw, keyword)
        if problem:
            result.errors.append(RowError(line_number, problem))
            continue
        yield KeywordRow(keyword=keyword, row=line_number)
