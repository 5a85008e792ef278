"""Bytes to text for keyword-tool exports.

Keyword tools disagree on encodings: Semrush and Search Console write UTF-8, Ahrefs UTF-8 with
a BOM (UTF-16 in some versions), Google Keyword Planner UTF-16 LE, and a file re-saved by Excel
on Windows is cp1252. ``decode_export`` finds the encoding from the bytes alone, so nobody has
to convert a file by hand, and recognises the binary files people upload by mistake.
"""

from __future__ import annotations

import re

from shared.keyword_files.model import ExportError

_EXCEL_HINT = (
    "this looks like an Excel file, not a CSV; in Excel use File > Save As > "
    "'CSV UTF-8 (Comma delimited)', or export as CSV from the keyword tool, and upload that file"
)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", _EXCEL_HINT + " (a zip archive: .xlsx, .ods or .zip)"),
    (b"PK\x05\x06", _EXCEL_HINT + " (an empty zip archive)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", _EXCEL_HINT + " (an old .xls workbook)"),
    (b"\x1f\x8b", "this is a gzip-compressed file; decompress it and upload the CSV inside"),
    (b"%PDF", "this is a PDF; export the keywords as CSV from the keyword tool instead"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    # UTF-32 first: its LE BOM starts with the UTF-16 LE BOM.
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Characters that do not occur in a real text export: C0 controls other than tab and line
# breaks, DEL, C1 controls (what undecodable bytes become in latin-1) and U+FFFD.
_JUNK = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_SAMPLE = 65536


def decode_export(data: bytes) -> str:
    """Decode an uploaded export to text (without BOM); see ``decode_with_encoding``."""
    return decode_with_encoding(data)[0]


def decode_with_encoding(data: bytes) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding name)``.

    Order: a BOM (UTF-8, UTF-16 LE/BE, UTF-32) decides; without one, many NUL bytes mean UTF-16
    (LE when the NULs sit at odd offsets, as ASCII text in UTF-16 LE has them); otherwise strict
    UTF-8, then cp1252 (Excel on Windows), then latin-1, which accepts any byte. Undecodable
    sequences in UTF-16/32 become U+FFFD instead of raising.

    Raises ``ExportError`` only for an empty file or one that is not text (a known binary
    signature such as XLSX/zip, or too many control characters after decoding).
    """
    if not data.strip(b" \t\r\n\x00"):
        raise ExportError("the file is empty; export the keyword list again and upload the CSV")
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            raise ExportError(message)
    text, encoding = _decode(data)
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ExportError("the file is empty; export the keyword list again and upload the CSV")
    sample = text[:_SAMPLE]
    if len(_JUNK.findall(sample)) > 1 + len(sample) * 0.01:
        raise ExportError(
            "this file is not a text export (it contains binary data); upload the CSV or TXT file "
            "the keyword tool exported (Semrush, Ahrefs, Moz, Search Console, Keyword Planner)"
        )
    return text, encoding


def _decode(data: bytes) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding.removesuffix("-sig"), errors="replace"), encoding
    head = data[:4096]
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    if even_nuls + odd_nuls > len(head) * 0.2:
        encoding = "utf-16-le" if odd_nuls >= even_nuls else "utf-16-be"
        return data.decode(encoding, errors="replace"), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if error.reason == "unexpected end of data" and error.start >= len(data) - 3:
            # A UTF-8 file cut inside its last character: keep UTF-8, lose that character only.
            return data.decode("utf-8", errors="replace"), "utf-8"
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
