"""Keyword-tool exports: every format's sample file is recognised and mapped to the right values,
bad rows are reported with their line numbers, and no input raises anything but ExportError."""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from shared.keyword_files import (
    KEYWORD_HEADERS,
    MAX_CPC,
    MAX_KEYWORD_LENGTH,
    ExportError,
    ExportFormat,
    KeywordRow,
    ParsedExport,
    decode_export,
    detect_format,
    normalize_intent,
    normalize_keyword,
    parse_export,
    parse_number,
    sniff_dialect,
    split_export,
)

EXPORTS = Path(__file__).resolve().parent.parent / "data" / "exports"


def parse_file(name: str) -> ParsedExport:
    return parse_export((EXPORTS / name).read_bytes())


def by_keyword(result: ParsedExport) -> dict[str, KeywordRow]:
    return {row.keyword: row for row in result.rows}


# ------------------------------------------------------------------------------------ formats
@pytest.mark.parametrize(
    ("name", "expected", "count"),
    [
        ("semrush_keyword_magic.csv", ExportFormat.SEMRUSH, 12),
        ("semrush_organic_positions.csv", ExportFormat.SEMRUSH, 5),
        ("ahrefs_keywords_explorer.csv", ExportFormat.AHREFS, 7),
        ("ahrefs_utf16.csv", ExportFormat.AHREFS, 5),
        ("moz_keyword_explorer.csv", ExportFormat.MOZ, 7),
        ("moz_volume_range.csv", ExportFormat.MOZ, 4),
        ("gsc_queries.csv", ExportFormat.GSC, 7),
        ("keyword_planner.csv", ExportFormat.KEYWORD_PLANNER, 8),
        ("plain_keyword_column.csv", ExportFormat.PLAIN, 4),
        ("plain_list.txt", ExportFormat.PLAIN, 6),
        ("semicolon_excel.csv", ExportFormat.SEMRUSH, 6),
    ],
)
def test_each_sample_file_is_recognised(name: str, expected: ExportFormat, count: int) -> None:
    result = parse_file(name)
    assert result.format is expected
    assert len(result.rows) == count
    assert result.errors == []
    assert all(row.keyword and row.row >= 1 for row in result.rows)


def test_semrush_keyword_magic_values() -> None:
    result = parse_file("semrush_keyword_magic.csv")
    assert result.columns == {
        "keyword": "Keyword",
        "volume": "Volume",
        "difficulty": "Keyword Difficulty",
        "intent": "Intent",
        "cpc": "CPC (USD)",
    }
    rows = by_keyword(result)
    maker = rows["cold brew coffee maker"]
    assert (maker.volume, maker.difficulty, maker.intent, maker.cpc) == (27100, 61, "commercial", 0.95)
    assert maker.row == 3
    assert maker.extra["competitive_density"] == 1.0
    assert maker.extra["number_of_results"] == 18600000
    assert maker.extra["serp_features"] == "Reviews, Popular products, Shopping ads"
    assert rows["starbucks near me"].intent == "navigational"
    assert rows["buy espresso beans online"].intent == "transactional"
    assert rows["cold brew coffee"].as_keyword_input() == {
        "keyword": "cold brew coffee",
        "volume": 74000,
        "difficulty": 68,
        "intent": "informational",
        "cpc": 0.89,
    }


def test_semrush_organic_positions_letters_kd_percent_and_position() -> None:
    result = parse_file("semrush_organic_positions.csv")
    assert result.columns["difficulty"] == "KD %"
    assert result.columns["volume"] == "Search Volume"
    rows = by_keyword(result)
    bed = rows["raised garden bed"]
    assert (bed.volume, bed.difficulty, bed.intent, bed.cpc, bed.position) == (
        49500,
        64,
        "commercial",
        1.12,
        7.0,
    )
    assert bed.extra["previous_position"] == 9.0
    assert rows["how to grow tomatoes"].intent == "informational"
    assert rows["compost bin"].intent == "transactional"
    assert rows["example garden login"].intent == "navigational"


def test_ahrefs_utf8_bom_with_intent_lists() -> None:
    raw = (EXPORTS / "ahrefs_keywords_explorer.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    result = parse_export(raw)
    assert result.encoding == "utf-8-sig"
    assert result.columns["difficulty"] == "Difficulty"
    rows = by_keyword(result)
    fertilizer = rows["best tomato fertilizer"]
    assert (fertilizer.volume, fertilizer.difficulty, fertilizer.intent, fertilizer.cpc) == (
        6400,
        23,
        "commercial",
        1.1,
    )
    assert fertilizer.extra["parent_keyword"] == "tomato fertilizer"
    assert fertilizer.extra["traffic_potential"] == 12000
    assert fertilizer.extra["global_volume"] == 11000
    assert rows["burpee tomato seeds"].intent == "navigational"
    # "Local" is not a planner intent: the next listed one is taken.
    assert rows["garden centre near me"].intent == "navigational"
    assert rows["tomato blight"].difficulty is None


def test_ahrefs_utf16_tab_with_boolean_intent_columns() -> None:
    raw = (EXPORTS / "ahrefs_utf16.csv").read_bytes()
    assert raw.startswith(b"\xff\xfe")
    result = parse_export(raw)
    assert (result.format, result.encoding, result.delimiter) == (ExportFormat.AHREFS, "utf-16-le", "\t")
    rows = by_keyword(result)
    tamper = rows["espresso tamper"]
    assert (tamper.volume, tamper.difficulty, tamper.intent, tamper.cpc) == (3600, 7, "commercial", 0.55)
    assert rows["what is a flat white"].intent == "informational"
    assert rows["nespresso pods"].intent == "navigational"
    assert rows["coffee shop london"].intent is None  # only "Local" is true
    assert rows["café crème recipe"].volume == 320
    assert any("first true column" in note for note in result.notes)


def test_moz_monthly_volume_and_ctr() -> None:
    rows = by_keyword(parse_file("moz_keyword_explorer.csv"))
    machine = rows["espresso machine"]
    assert (machine.volume, machine.difficulty, machine.intent, machine.cpc) == (118000, 74, None, None)
    assert machine.extra == {"organic_ctr": 0.54, "priority": 71}


def test_moz_minimum_and_maximum_volume_become_the_geometric_midpoint() -> None:
    result = parse_file("moz_volume_range.csv")
    rows = by_keyword(result)
    assert rows["latte art"].volume == 7775  # sqrt(6500 * 9300)
    assert rows["latte art pitcher"].volume == 653  # sqrt(501 * 850)
    assert rows["how to steam milk"].volume == 5  # 0-10: arithmetic midpoint
    assert rows["latte art"].extra["organic_ctr"] == 0.62
    assert any("geometric midpoint of 'Minimum Monthly Volume'" in note for note in result.notes)


def test_search_console_impressions_become_volume() -> None:
    result = parse_file("gsc_queries.csv")
    assert result.columns["keyword"] == "Top queries"
    assert result.columns["volume"] == "Impressions"
    assert any("volume taken from impressions" in note for note in result.notes)
    descale = by_keyword(result)["how to descale a coffee maker"]
    assert (descale.volume, descale.difficulty, descale.intent, descale.position) == (15873, None, None, 3.2)
    assert descale.extra == {"clicks": 1204, "impressions": 15873, "ctr": 0.0759}


def test_keyword_planner_utf16_tsv_with_title_lines_and_ranges() -> None:
    raw = (EXPORTS / "keyword_planner.csv").read_bytes()
    assert raw.startswith(b"\xff\xfe") and b"\t\x00" in raw
    result = parse_export(raw)
    assert (result.format, result.encoding, result.delimiter) == (
        ExportFormat.KEYWORD_PLANNER,
        "utf-16-le",
        "\t",
    )
    assert result.header_row == 3
    rows = by_keyword(result)
    soil = rows["raised bed soil"]
    assert soil.row == 4
    assert soil.volume == 31623  # 10K – 100K -> geometric midpoint
    assert soil.difficulty == 100  # Competition (indexed value)
    assert soil.cpc == 1.39  # mean of the 0.62 and 2.15 bids
    assert soil.extra["competition"] == "High"
    assert soil.extra["monthly_searches"] == {"Jan 2024": 10000, "Feb 2024": 12000, "Mar 2024": 33000}
    assert rows["how to start a vegetable garden"].volume == 3162
    assert rows["how to start a vegetable garden"].extra["yoy_change_pct"] == -90.0
    potatoes = rows["when to plant potatoes"]
    assert (potatoes.volume, potatoes.difficulty, potatoes.cpc) == (32, 3, None)
    heirloom = rows["heirloom seeds"]
    assert (heirloom.volume, heirloom.difficulty, heirloom.cpc) == (5, None, None)
    assert rows["vertical vegetable garden"].volume == 1300
    notes = " ".join(result.notes)
    assert "skipped 2 line(s) above the header" in notes
    assert "geometric midpoint" in notes
    assert "Competition (indexed value)" in notes
    assert "mean of 'Top of page bid (low range)' and 'Top of page bid (high range)'" in notes


def test_plain_keyword_column_reports_duplicates() -> None:
    result = parse_file("plain_keyword_column.csv")
    assert [row.keyword for row in result.rows] == [
        "tomato seedlings",
        "how to prune roses",
        "best soil for raised beds",
        "companion planting chart",
    ]
    assert [(d.row, d.keyword, d.first_row) for d in result.duplicates] == [
        (5, "Best Soil For Raised Beds", 4)
    ]
    assert result.rows[0].volume is None and result.rows[0].intent is None


def test_headerless_list_one_keyword_per_line() -> None:
    result = parse_file("plain_list.txt")
    assert result.header_row is None
    assert [(row.row, row.keyword) for row in result.rows] == [
        (1, "when to plant tulip bulbs"),
        (2, "how to grow basil indoors"),
        (3, "organic fertilizer for vegetables"),
        (5, "drought tolerant perennials"),
        (6, "how to get rid of aphids, naturally"),
        (7, "lawn aeration"),
    ]
    assert any("no header row" in note for note in result.notes)


def test_semicolon_excel_cp1252_european_numbers() -> None:
    result = parse_file("semicolon_excel.csv")
    assert (result.delimiter, result.encoding) == (";", "cp1252")
    rows = by_keyword(result)
    grains = rows["café en grains"]
    assert (grains.volume, grains.difficulty, grains.intent, grains.cpc) == (1200, 41, "commercial", 0.8)
    assert rows["machine à café"].volume == 12100
    assert rows["machine à café"].cpc == 1.25


def test_bad_rows_are_reported_with_line_and_fix_and_good_rows_kept() -> None:
    result = parse_file("bad_rows.csv")
    assert [row.keyword for row in result.rows] == ["how to grow lettuce", "when to harvest lettuce"]
    assert result.rows[1].volume == 1600 and result.rows[1].cpc == 0.18
    errors = {error.row: error.message for error in result.errors}
    assert sorted(errors) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert "keyword is empty" in errors[3]
    assert "332 characters long" in errors[4] and f"at most {MAX_KEYWORD_LENGTH}" in errors[4]
    assert errors[5].startswith("'Volume': 'abc' is not a number") and "whole number" in errors[5]
    assert "'-40' is negative" in errors[6]
    assert errors[7].startswith("'Keyword Difficulty': '120' is over 100") and "0 to 100" in errors[7]
    assert "'NaN' is not a finite number" in errors[8]
    assert errors[9].startswith("'CPC (USD)': 'inf' is not a finite number")
    assert "out of range" in errors[10]
    assert [(d.row, d.first_row) for d in result.duplicates] == [(11, 2)]


def test_unclosed_quote_is_a_row_error_not_a_merged_keyword() -> None:
    result = parse_export('Keyword,Volume\ncoffee,10\n"espresso,20\nlatte,30\n')
    assert [row.keyword for row in result.rows] == ["coffee"]
    assert result.errors[0].row == 3 and "not closed" in result.errors[0].message


def test_rows_with_missing_cells_and_short_rows() -> None:
    result = parse_export("Keyword,Volume,Keyword Difficulty,CPC (USD),Intent\nmoka pot,,n/a,-\nchemex\n")
    assert [(r.keyword, r.volume, r.difficulty, r.cpc, r.intent) for r in result.rows] == [
        ("moka pot", None, None, None, None),
        ("chemex", None, None, None, None),
    ]


def test_max_rows_truncates_and_says_so() -> None:
    text = "keyword\n" + "".join(f"seed {i}\n" for i in range(10))
    result = parse_export(text, max_rows=4)
    assert len(result.rows) == 4 and result.truncated
    assert any("split the file" in note for note in result.notes)
    assert not parse_export(text, max_rows=10).truncated


def test_multi_column_file_without_keyword_header_is_an_export_error() -> None:
    with pytest.raises(ExportError, match="no keyword column"):
        parse_export("Begriff,Suchvolumen\nkaffee,1000\ntee,500\n")


# ------------------------------------------------------------------------- header detection
def test_detect_format_ignores_case_whitespace_quotes_and_bom() -> None:
    assert (
        detect_format(['\ufeff"KEYWORD"', " Intent ", "Volume", "keyword  difficulty"])
        is ExportFormat.SEMRUSH
    )
    assert detect_format(["#", "Keyword", "KD", "Volume", "CPC", "Parent Keyword"]) is ExportFormat.AHREFS
    assert detect_format(["Keyword", "Minimum Monthly Volume", "Maximum Monthly Volume"]) is ExportFormat.MOZ
    assert detect_format(["Query", "Clicks", "Impressions", "CTR", "Position"]) is ExportFormat.GSC
    assert (
        detect_format(["Keyword", "Avg. monthly searches", "Searches: Jan 2024"])
        is ExportFormat.KEYWORD_PLANNER
    )
    assert detect_format(["keyword"]) is ExportFormat.PLAIN
    assert detect_format(["Keyword", "Volume", "CPC"]) is ExportFormat.PLAIN


def test_sniff_dialect_finds_header_below_title_lines() -> None:
    text = decode_export((EXPORTS / "keyword_planner.csv").read_bytes())
    dialect = sniff_dialect(text)
    assert (dialect.delimiter, dialect.header_index, dialect.header_line) == ("\t", 2, 3)
    assert dialect.header[:3] == ("Keyword", "Currency", "Avg. monthly searches")
    assert sniff_dialect('"Keyword";"Volume"\n"café";"1.200"\n').delimiter == ";"


def test_a_keywords_line_inside_a_headerless_list_is_not_a_header() -> None:
    result = parse_export("lawn mower\ngarden shed\nkeywords\nhedge trimmer\n")
    assert result.header_row is None
    assert [row.keyword for row in result.rows] == ["lawn mower", "garden shed", "keywords", "hedge trimmer"]


# ---------------------------------------------------------------------------------- decoding
@pytest.mark.parametrize(
    "data",
    [
        "keyword\ncafé crème\n".encode(),
        b"\xef\xbb\xbf" + "keyword\ncafé crème\n".encode(),
        b"\xff\xfe" + "keyword\ncafé crème\n".encode("utf-16-le"),
        b"\xfe\xff" + "keyword\ncafé crème\n".encode("utf-16-be"),
        "keyword\ncafé crème\n".encode("utf-16-le"),  # no BOM: NUL-byte heuristic
        "keyword\ncafé crème\n".encode("utf-16-be"),
        "keyword\ncafé crème\n".encode("cp1252"),
    ],
)
def test_decode_export_encodings(data: bytes) -> None:
    assert decode_export(data) == "keyword\ncafé crème\n"


def test_decode_falls_back_to_latin1_for_bytes_cp1252_does_not_define() -> None:
    assert decode_export(b"keyword\nsome caf\xe9 text with \x81 byte\n").startswith("keyword\nsome café")


@pytest.mark.parametrize("data", [b"", b"   \r\n", b"\xef\xbb\xbf", b"\xff\xfe"])
def test_empty_input_is_an_export_error(data: bytes) -> None:
    with pytest.raises(ExportError, match="empty"):
        parse_export(data)


def test_excel_workbook_gives_a_clear_export_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    with pytest.raises(ExportError, match="looks like an Excel file.*CSV"):
        parse_export(buffer.getvalue())
    with pytest.raises(ExportError, match="Excel"):
        decode_export(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))


def test_random_garbage_never_raises_anything_but_export_error() -> None:
    rng = random.Random(20240501)
    samples = [path.read_bytes() for path in sorted(EXPORTS.iterdir())]
    outcomes = {"parsed": 0, "rejected": 0}
    for attempt in range(600):
        if attempt % 2:
            data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 400)))
        else:  # a real export with random bytes flipped, inserted and deleted
            mutated = bytearray(rng.choice(samples))
            for _ in range(rng.randint(1, 12)):
                at = rng.randrange(len(mutated))
                choice = rng.random()
                if choice < 0.4:
                    mutated[at] = rng.getrandbits(8)
                elif choice < 0.7:
                    mutated.insert(at, rng.choice(b',;\t"\n\x00\xff'))
                else:
                    del mutated[at]
            data = bytes(mutated)
        try:
            result = parse_export(data)
        except ExportError as error:
            assert str(error)
            outcomes["rejected"] += 1
            continue
        outcomes["parsed"] += 1
        for row in result.rows:
            assert 0 < len(row.keyword) <= MAX_KEYWORD_LENGTH
            assert row.volume is None or 0 <= row.volume <= 10**12
            assert row.difficulty is None or 0 <= row.difficulty <= 100
    assert outcomes["parsed"] and outcomes["rejected"]


# ------------------------------------------------------------------------------------ values
@pytest.mark.parametrize(
    ("raw", "decimal_comma", "expected"),
    [
        ("1200", False, 1200),
        ("1,200", False, 1200),
        ("1 200", False, 1200),
        ("1\u00a0200", False, 1200),
        ("1,234,567", False, 1234567),
        ("1.200", True, 1200),
        ("1.200,50", True, 1200.5),
        ("1,200.50", False, 1200.5),
        ("12%", False, 12),
        ("0.5", False, 0.5),
        ("$1.20", False, 1.2),
        ("€0,80", False, 0.8),
        ("0,80 €", True, 0.8),
        ("1.2K", False, 1200),
        ("3M", False, 3_000_000),
        ("1.2E+05", False, 120000),
        ("", False, None),
        ("n/a", False, None),
        ("-", False, None),
    ],
)
def test_parse_number(raw: str, decimal_comma: bool, expected: float | None) -> None:
    assert parse_number(raw, decimal_comma=decimal_comma) == expected


@pytest.mark.parametrize("raw", ["abc", "nan", "inf", "-Infinity", "1e400", "10000000000000", "1,2,3"])
def test_parse_number_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_number(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Commercial", "commercial"),
        ("Informational, Transactional", "informational"),
        ("C", "commercial"),
        ("n", "navigational"),
        ("3", "transactional"),
        ("Branded, Local, Transactional", "transactional"),
        ("Local", None),
    ],
)
def test_normalize_intent(raw: str, expected: str | None) -> None:
    assert normalize_intent(raw) == expected


@pytest.mark.parametrize(
    "text", ["  Cold  Brew\tCoffee ", "CAFÉ crème", "Straße", "İstanbul kahve", "a\u00a0b"]
)
def test_normalize_keyword_matches_the_planners_rule_on_nfc_text(text: str) -> None:
    # shared.services.keywords.normalize_keyword is " ".join(text.lower().split()); ours adds NFC only.
    assert normalize_keyword(text) == " ".join(text.lower().split())


def test_normalize_keyword_composes_decomposed_accents() -> None:
    assert normalize_keyword("cafe\u0301  Crème") == normalize_keyword("café crème") == "café crème"


# ------------------------------------------------------------------------------------- scale
def test_a_100000_row_export_parses() -> None:
    lines = ["Keyword,Intent,Volume,Keyword Difficulty,CPC (USD)"]
    lines += [
        f"coffee keyword {i},Commercial,{i % 90000},{i % 101},{i % 300 / 100:.2f}" for i in range(100_000)
    ]
    result = parse_export(("\n".join(lines) + "\n").encode())
    assert len(result.rows) == 100_000
    assert result.errors == [] and result.duplicates == []
    assert result.rows[-1].row == 100_001
    assert result.rows[-1].volume == 99_999 % 90000


# ------------------------------------------------------------------------------------ limits
def test_the_limits_are_the_json_routes() -> None:
    from shared.api import models

    assert MAX_CPC == models.MAX_CPC
    text_limit = next(m.max_length for m in models.Text.__metadata__ if getattr(m, "max_length", None))
    assert text_limit == MAX_KEYWORD_LENGTH
    result = parse_export(f"Keyword\n{'k' * MAX_KEYWORD_LENGTH}\n{'k' * (MAX_KEYWORD_LENGTH + 1)}\n")
    assert [len(row.keyword) for row in result.rows] == [MAX_KEYWORD_LENGTH]
    assert [e.row for e in result.errors] == [3] and f"at most {MAX_KEYWORD_LENGTH}" in result.errors[
        0
    ].message


def test_cpc_over_the_limit_is_a_row_error() -> None:
    result = parse_export("Keyword,CPC (USD)\ncheap,1000000\ndear,1000001\n")
    assert [(row.keyword, row.cpc) for row in result.rows] == [("cheap", 1_000_000.0)]
    (error,) = result.errors
    assert (
        error.row == 3
        and error.message.startswith("'CPC (USD)': ")
        and "out of range (at most 1,000,000)" in error.message
    )


def test_a_table_without_keyword_column_names_the_expected_headers() -> None:
    with pytest.raises(ExportError) as caught:
        parse_export("Term,Searches\ncoffee,10\ntea,20\n")
    message = str(caught.value)
    assert "no keyword column found" in message and "'Term'" in message
    for header in KEYWORD_HEADERS:
        assert repr(header.capitalize()) in message


# ------------------------------------------------------------------------------------ parts
def _semrush(rows: int, *, quoted_every: int = 0) -> bytes:
    lines = ["Keyword,Intent,Volume,Keyword Difficulty,CPC (USD)"]
    for i in range(rows):
        quoted = quoted_every and i % quoted_every == 0  # a record over two lines, commas quoted
        keyword, intent = (f'"keyword, {i}"', '"Commercial,\nInformational"') if quoted else (f"kw {i}", "I")
        lines.append(f"{keyword},{intent},{100 + i},{i % 100},0.{i % 90 + 10}")
    return ("\n".join(lines) + "\n").encode()


def test_a_file_within_the_limits_is_one_part_of_its_own_bytes() -> None:
    data = (EXPORTS / "keyword_planner.csv").read_bytes()
    (part,) = split_export(data, max_bytes=len(data), max_rows=1000)
    assert part.data == data and part.offset == 0 and part.rows == 8
    assert part.content_type == "application/octet-stream"  # UTF-16: API Gateway passes it as binary
    semrush = (EXPORTS / "semrush_keyword_magic.csv").read_bytes()
    (part,) = split_export(semrush, max_bytes=len(semrush), max_rows=12)
    assert (part.data, part.content_type, part.rows) == (semrush, "text/csv; charset=utf-8", 12)


def test_parts_repeat_the_header_and_map_rows_back_to_the_file() -> None:
    data = _semrush(250, quoted_every=7)
    whole = parse_export(data)
    parts = split_export(data, max_bytes=2_000, max_rows=40)
    assert len(parts) > 6
    rows: list[tuple[int, str, int | None]] = []
    for part in parts:
        assert len(part.data) <= 2_000 and part.rows <= 40
        assert part.data.startswith(b"Keyword,Intent,Volume,Keyword Difficulty,CPC (USD)\n")
        parsed = parse_export(part.data)
        assert not parsed.errors and parsed.format is ExportFormat.SEMRUSH
        rows.extend((part.file_row(r.row), r.keyword, r.volume) for r in parsed.rows)
    assert rows == [(r.row, r.keyword, r.volume) for r in whole.rows]
    assert len(rows) == 250


def test_parts_of_a_utf16_file_with_title_lines_and_of_a_list() -> None:
    text = "Keyword Stats\r\nJan 2024\r\nKeyword\tAvg. monthly searches\r\n" + "".join(
        f"word {i}\t{i}\r\n" for i in range(60)
    )
    data = b"\xff\xfe" + text.encode("utf-16-le")
    parts = split_export(data, max_bytes=300, max_rows=1000)
    found = [(p.file_row(r.row), r.keyword) for p in parts for r in parse_export(p.data).rows]
    assert found == [(r.row, r.keyword) for r in parse_export(data).rows]
    assert all(p.data.decode("utf-8").startswith("Keyword\tAvg.") for p in parts)
    listing = "".join(f"term {i}\n" for i in range(30)).encode()
    parts = split_export(listing, max_bytes=1000, max_rows=7)
    assert [p.rows for p in parts] == [7, 7, 7, 7, 2]
    found = [(p.file_row(r.row), r.keyword) for p in parts for r in parse_export(p.data).rows]
    assert found == [(i + 1, f"term {i}") for i in range(30)]
