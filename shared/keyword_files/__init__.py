"""Keyword-tool exports (Semrush, Ahrefs, Moz, Search Console, Keyword Planner, plain lists) to
keyword rows, recognised by their headers; standard library only.

Used by ``POST /v1/planner/keywords/import/`` and the ``igny8 import`` / ``igny8 cluster``
commands, so nobody converts a file by hand::

    result = parse_export(uploaded_bytes, max_rows=100_000)
    result.format, result.rows[0].volume, result.errors, result.duplicates, result.notes

``split_export`` cuts a file over one request's limits into parts, each with the header row.
"""

from shared.keyword_files.decoding import decode_export, decode_with_encoding
from shared.keyword_files.dialect import LIST_DELIMITER, Dialect, sniff_dialect
from shared.keyword_files.formats import KEYWORD_HEADERS, detect_format, normalize_header
from shared.keyword_files.model import (
    DuplicateRow,
    ExportError,
    ExportFormat,
    KeywordRow,
    ParsedExport,
    RowError,
)
from shared.keyword_files.parser import MAX_CPC, MAX_KEYWORD_LENGTH, parse_export
from shared.keyword_files.parts import ExportPart, split_export
from shared.keyword_files.values import (
    INTENTS,
    MAX_NUMBER,
    normalize_intent,
    normalize_keyword,
    parse_number,
)

__all__ = [
    "INTENTS",
    "KEYWORD_HEADERS",
    "LIST_DELIMITER",
    "MAX_CPC",
    "MAX_KEYWORD_LENGTH",
    "MAX_NUMBER",
    "Dialect",
    "DuplicateRow",
    "ExportError",
    "ExportFormat",
    "ExportPart",
    "KeywordRow",
    "ParsedExport",
    "RowError",
    "decode_export",
    "decode_with_encoding",
    "detect_format",
    "normalize_header",
    "normalize_intent",
    "normalize_keyword",
    "parse_export",
    "parse_number",
    "sniff_dialect",
    "split_export",
]
