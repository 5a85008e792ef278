"""Splitting a large keyword export into parts that each fit one import request.

``POST /v1/planner/keywords/import/`` takes one file of at most 6 MB (the Lambda request payload
limit) and 100,000 rows per request. ``split_export`` cuts a bigger file into UTF-8 parts, each
with the file's header row first, cut only between records (never inside a quoted cell), so every
part reads exactly like the rows it holds read in the whole file. ``ExportPart.offset`` maps a row
number the API reports for a part back to the row (line) number in the original file.

A file within both limits is one part holding the original bytes unchanged (any encoding), so the
server's row numbers are the file's own; one that is not UTF-8 is sent as ``application/octet-stream``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from shared.keyword_files.decoding import decode_with_encoding
from shared.keyword_files.dialect import LIST_DELIMITER, iter_lines, sniff_dialect

_MEDIA_TYPES = {"\t": "text/tab-separated-values", LIST_DELIMITER: "text/plain"}
BINARY = "application/octet-stream"


@dataclass(frozen=True)
class ExportPart:
    """One request's worth of an export.

    ``data`` is the body to send as ``content_type``; ``rows`` counts its non-blank data lines;
    a row number ``n`` reported for this part is line ``n + offset`` of the original file.
    """

    data: bytes
    content_type: str
    rows: int
    offset: int

    def file_row(self, row: int) -> int:
        return row + self.offset


def split_export(data: bytes, *, max_bytes: int, max_rows: int) -> list[ExportPart]:
    """Cut ``data`` into parts of at most ``max_bytes`` bytes and ``max_rows`` data rows.

    The header row (and, for a quoted header, the lines it spans) starts every part; title
    lines above it (Keyword Planner writes two) are left out. A headerless list is cut between
    lines. Raises ``ExportError`` for a file that is not a usable export (as ``parse_export``).
    A single record larger than ``max_bytes`` becomes a part of its own (the API refuses it).
    """
    text, encoding = decode_with_encoding(data)
    if "\r" in text and "\n" not in text:
        text = text.replace("\r", "\n")
    dialect = sniff_dialect(text)
    content_type = _MEDIA_TYPES.get(dialect.delimiter, "text/csv") + "; charset=utf-8"
    lines = list(iter_lines(text))
    header: list[str] = []
    start = 0
    if dialect.header_line is not None:
        start = dialect.header_line - 1
        header, start = _record(lines, start)
        if header and not header[-1].endswith("\n"):
            header[-1] += "\n"
    rows = sum(1 for line in lines[start:] if line.strip())
    if len(data) <= max_bytes and rows <= max_rows:
        # Bytes that are not UTF-8 (UTF-16, cp1252) travel as a binary type, which API Gateway
        # hands on unchanged; text types reach the API as UTF-8 text.
        kind = content_type if encoding in ("utf-8", "utf-8-sig") else BINARY
        return [ExportPart(data, kind, rows, 0)]
    head = "".join(header).encode("utf-8")
    quoted = dialect.header_line is not None  # a list is read line by line: quotes span nothing
    return list(_parts(lines, start, head, len(header), quoted, content_type, max_bytes, max_rows))


def _record(lines: list[str], start: int) -> tuple[list[str], int]:
    """The physical lines of the CSV record starting at ``lines[start]``, and the next index."""
    end, inside = start, False
    while end < len(lines):
        inside ^= lines[end].count('"') % 2 == 1
        end += 1
        if not inside:
            break
    return lines[start:end], end


def _parts(
    lines: list[str],
    start: int,
    head: bytes,
    head_lines: int,
    quoted: bool,
    content_type: str,
    max_bytes: int,
    max_rows: int,
) -> Iterator[ExportPart]:
    body: list[bytes] = []
    size = len(head)
    rows = 0
    first = start  # 0-based index of the part's first data line
    index = start
    while index < len(lines):
        record, following = _record(lines, index) if quoted else (lines[index : index + 1], index + 1)
        encoded = "".join(record).encode("utf-8")
        blank = not encoded.strip()
        if body and (size + len(encoded) > max_bytes or (rows >= max_rows and not blank)):
            yield ExportPart(head + b"".join(body), content_type, rows, first - head_lines)
            body, size, rows, first = [], len(head), 0, index
        body.append(encoded)
        size += len(encoded)
        rows += 0 if blank else 1
        index = following
    if body:
        yield ExportPart(head + b"".join(body), content_type, rows, first - head_lines)
