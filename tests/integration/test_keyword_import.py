"""POST /v1/planner/keywords/import/: keyword-tool export files through the real API handler.

Each format's sample file is stored with its values, bad rows are reported with their row
numbers while the good ones are stored, re-imports are duplicates, and every wrong request is
a 4xx naming what to fix.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from local_stack.apigw import call_api, proxy_event
from shared.api.contract import MAX_BODY_BYTES
from shared.keyword_files import parse_export
from tests.helpers import api

pytestmark = pytest.mark.integration

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
IMPORT = "/v1/planner/keywords/import/"


def upload(
    key: str,
    body: bytes | str,
    content_type: str | None = "text/csv",
    query: dict[str, str] | None = None,
    *,
    base64_body: bool | None = None,
) -> tuple[int, Any]:
    """POST ``body`` as API Gateway delivers it: binary (base64) when asked or when not UTF-8."""
    data = body.encode() if isinstance(body, str) else body
    event = proxy_event("POST", IMPORT, None, {"authorization": f"Bearer {key}"}, query)
    if content_type is None:
        event["headers"].pop("content-type")
        event["multiValueHeaders"].pop("content-type")
    else:
        event["headers"]["content-type"] = content_type
        event["multiValueHeaders"]["content-type"] = [content_type]
    if base64_body is None:
        try:
            data.decode("utf-8")
            base64_body = False
        except UnicodeDecodeError:
            base64_body = True
    event["body"] = base64.b64encode(data).decode() if base64_body else data.decode("utf-8")
    event["isBase64Encoded"] = base64_body
    response = call_api(event)
    return int(response["statusCode"]), json.loads(response.get("body") or "null")


def all_keywords(key: str, **query: str) -> list[dict[str, Any]]:
    """The account's keyword records (every page)."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        params = {"limit": "500", **query, **({"after": str(after)} if after else {})}
        status, page = api("GET", "/v1/planner/keywords/", key, query=params)
        assert status == 200
        found.extend(page["results"])
        if not (after := page["next"]):
            return found


def stored(key: str, **query: str) -> dict[str, dict[str, Any]]:
    """The account's keywords by text (each text once: a test that stores it twice counts records)."""
    records = all_keywords(key, **query)
    by_text = {k["keyword"]: k for k in records}
    assert len(by_text) == len(records)
    return by_text


def seed_cpc(account_id: str, keyword: str) -> float | None:
    from shared.db.models import SeedKeyword

    seed = SeedKeyword.get(account_id, " ".join(keyword.lower().split()))
    return None if seed.cpc is None else float(seed.cpc)


@pytest.mark.parametrize(
    ("name", "content_type", "expected_format", "keyword", "values"),
    [
        ("semrush_keyword_magic.csv", "text/csv", "semrush", "cold brew coffee maker", (27100, 61, "commercial")),
        ("semrush_organic_positions.csv", "text/csv", "semrush", "raised garden bed", (49500, 64, "commercial")),
        ("ahrefs_keywords_explorer.csv", "text/csv", "ahrefs", "tomato cages", (18000, 9, "transactional")),
        ("ahrefs_utf16.csv", "text/csv", "ahrefs", None, None),
        ("moz_keyword_explorer.csv", "text/csv", "moz", "espresso machine", (118000, 74, "informational")),
        ("gsc_queries.csv", "text/csv", "gsc", "cold brew ratio", (6120, 0, "informational")),
        ("keyword_planner.csv", "text/tab-separated-values", "keyword_planner", "vertical vegetable garden",
         (1300, 61, "informational")),
        ("plain_list.txt", "text/plain", "plain", "how to get rid of aphids, naturally", (0, 0, "informational")),
        ("semicolon_excel.csv", "text/csv", "semrush", "machine à café", (12100, 67, "transactional")),
    ],
)  # fmt: skip
def test_each_export_format_is_stored_with_its_values(
    account, name, content_type, expected_format, keyword, values
):
    data = (EXPORTS / name).read_bytes()
    parsed = parse_export(data)

    status, body = upload(account.api_key, data, content_type)

    assert status == 201, body
    assert body["format"] == expected_format
    assert body["created"] == len(parsed.rows) > 0
    assert body["duplicates"] == len(parsed.duplicates)
    assert body["errors"] == [{"row": e.row, "message": e.message} for e in parsed.errors]
    keywords = stored(account.api_key)
    assert sorted(keywords) == sorted(row.keyword for row in parsed.rows)
    if keyword is not None:
        found = keywords[keyword]
        assert (found["volume"], found["difficulty"], found["intent"]) == values
        assert found["status"] == "active" and found["site_id"] is None


def test_keyword_planner_utf16_file_sent_as_binary(account):
    data = (EXPORTS / "keyword_planner.csv").read_bytes()
    assert data.startswith(b"\xff\xfe")  # UTF-16 LE with BOM, as Keyword Planner writes it

    # The documented way: a binary type, which API Gateway hands on base64-encoded.
    status, body = upload(account.api_key, data, "application/octet-stream", base64_body=True)

    assert status == 201, body
    assert (body["format"], body["encoding"], body["created"]) == ("keyword_planner", "utf-16-le", 8)
    assert any("skipped 2 line(s) above the header row" in note for note in body["notes"])
    keywords = stored(account.api_key)
    # "10K – 100K" is a range: its geometric midpoint; bids averaged into the seed's cpc.
    assert keywords["raised bed soil"]["volume"] == 31623
    assert keywords["raised bed soil"]["difficulty"] == 100
    assert seed_cpc(account.account_id, "raised bed soil") == pytest.approx(1.39, abs=0.01)


def test_bad_rows_are_reported_with_row_numbers_and_good_rows_stored(account):
    data = (EXPORTS / "bad_rows.csv").read_bytes()

    status, body = upload(account.api_key, data)

    assert status == 201, body
    assert body["created"] == 2 and body["duplicates"] == 1 and body["repeated_in_file"] == 1
    rows = {e["row"]: e["message"] for e in body["errors"]}
    assert sorted(rows) == [3, 4, 5, 6, 7, 8, 9, 10] and body["errors_total"] == 8
    assert "keyword is empty" in rows[3]
    assert "332 characters long" in rows[4] and "at most 300" in rows[4]
    assert rows[5].startswith("'Volume': 'abc' is not a number")
    assert "out of range" in rows[10]
    assert sorted(stored(account.api_key)) == ["how to grow lettuce", "when to harvest lettuce"]
    assert seed_cpc(account.account_id, "when to harvest lettuce") == 0.18


def test_numbers_out_of_range_and_long_keywords_are_row_errors_never_a_500(account):
    long_ok, too_long = "k" * 300, "k" * 301
    text = (
        "Keyword,Volume,Keyword Difficulty,CPC (USD)\n"
        f"huge volume,1e130,10,0.5\n"
        f"tiny cpc,10,10,1e-200\n"
        f"dear cpc,10,10,2000000\n"
        f"{too_long},10,10,0.5\n"
        f"{long_ok},10,10,0.5\n"
        "fine,12,3,0.00004\n"
    )

    status, body = upload(account.api_key, text)

    assert status == 201, body
    rows = {e["row"]: e["message"] for e in body["errors"]}
    assert sorted(rows) == [2, 4, 5]
    assert "'Volume': '1e130' is out of range" in rows[2]
    assert "out of range (at most 1,000,000)" in rows[4]
    assert "301 characters long" in rows[5]
    assert sorted(stored(account.api_key)) == sorted(["tiny cpc", long_ok, "fine"])
    assert seed_cpc(account.account_id, "tiny cpc") == 0 and seed_cpc(account.account_id, "fine") == 0


def multipart_body(
    files: list[tuple[str, str | None, bytes]], boundary: str = "igny8-test-boundary"
) -> bytes:
    parts = []
    for name, filename, content in files:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        parts.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: text/csv\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def test_multipart_upload_of_a_utf16_file(account):
    data = (EXPORTS / "ahrefs_utf16.csv").read_bytes()
    parsed = parse_export(data)
    body_bytes = multipart_body([("note", None, b"ignored"), ("file", "ahrefs.csv", data)])

    status, body = upload(
        account.api_key, body_bytes, "multipart/form-data; boundary=igny8-test-boundary", base64_body=True
    )

    assert status == 201, body
    assert body["format"] == "ahrefs" and body["created"] == len(parsed.rows) > 0
    assert sorted(stored(account.api_key)) == sorted(r.keyword for r in parsed.rows)


@pytest.mark.parametrize(
    ("content_type", "body", "needle"),
    [
        ("multipart/form-data", b"--x\r\n\r\n", "without a boundary"),
        ("multipart/form-data; boundary=zzz", b"not a multipart body at all", "cannot be read"),
    ],
)
def test_malformed_multipart_is_a_400(account, content_type, body, needle):
    status, answer = upload(account.api_key, body, content_type, base64_body=True)

    assert status == 400 and answer["error"] == "BadRequest" and needle in answer["message"]
    assert stored(account.api_key) == {}


def test_multipart_without_a_file_is_a_422(account):
    body = multipart_body([("note", None, b"hello")])

    status, answer = upload(account.api_key, body, "multipart/form-data; boundary=igny8-test-boundary")

    assert status == 422 and answer["errors"][0]["field"] == "file"
    assert "part named 'file'" in answer["message"] and "curl -F file=@keywords.csv" in answer["message"]


def test_wrong_content_type_is_a_415(account):
    data = (EXPORTS / "semrush_keyword_magic.csv").read_bytes()
    for kind in ("application/json", "application/x-www-form-urlencoded", "image/png"):
        status, body = upload(account.api_key, data, kind)
        assert status == 415, (kind, body)
        assert body["error"] == "UnsupportedMediaType" and "text/csv" in body["message"]
    assert stored(account.api_key) == {}


def test_header_names_in_any_case(account):
    data = (EXPORTS / "plain_keyword_column.csv").read_bytes()
    event = proxy_event("POST", IMPORT, None, {"Authorization": f"Bearer {account.api_key}"})
    event["headers"].pop("content-type")  # as curl and API Gateway write it: "Content-Type"
    event["multiValueHeaders"].pop("content-type")
    event["headers"]["Content-Type"] = "image/png"
    event["multiValueHeaders"]["Content-Type"] = ["image/png"]
    event["body"] = data.decode()
    assert call_api(event)["statusCode"] == 415
    boundary = "igny8-test-boundary"
    event["headers"]["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    event["multiValueHeaders"]["Content-Type"] = [f"multipart/form-data; boundary={boundary}"]
    event["body"] = multipart_body([("file", "k.csv", data)], boundary).decode()
    response = call_api(event)
    assert response["statusCode"] == 201 and json.loads(response["body"])["created"] == 4


def test_a_body_without_content_type_is_read_as_a_file(account):
    status, body = upload(account.api_key, "Keyword\ncoffee beans\n", None)

    assert status == 201 and body["created"] == 1


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (
            "Term,Searches\ncoffee,10\ntea,20\nmate,30\n",
            "Headers recognised as the keyword column: 'Keyword'",
        ),
        (b"PK\x03\x04" + b"\x00" * 64, "Excel file"),
        ("   \n\n", "the file is empty"),
    ],
)
def test_an_unrecognised_file_is_a_422_saying_what_was_expected(account, data, needle):
    status, body = upload(account.api_key, data, "text/csv")

    assert status == 422, body
    assert body["error"] == "RequestInvalid" and needle in body["message"]
    assert body["errors"][0]["field"] == "body"
    assert stored(account.api_key) == {}


def test_reimporting_the_same_file_creates_nothing(account):
    data = (EXPORTS / "semrush_keyword_magic.csv").read_bytes()
    first_status, first = upload(account.api_key, data)
    assert first_status == 201 and first["created"] == 12

    status, again = upload(account.api_key, data)

    assert status == 201
    assert (again["created"], again["duplicates"], again["already_stored"]) == (0, 12, 12)
    assert len(stored(account.api_key)) == 12


def test_site_and_sector_parameters(account):
    _, site = api("POST", "/v1/planner/sites/", account.api_key, {"name": "Coffee"})
    _, sector = api(
        "POST", "/v1/planner/sectors/", account.api_key, {"name": "Brewing", "site_id": site["id"]}
    )
    _, other = api("POST", "/v1/planner/sites/", account.api_key, {"name": "Tea"})
    data = (EXPORTS / "gsc_queries.csv").read_bytes()
    query = {"site_id": str(site["id"]), "sector_id": str(sector["id"])}

    status, body = upload(account.api_key, data, "text/csv", query)

    assert status == 201 and body["created"] == 7
    assert (body["site_id"], body["sector_id"]) == (site["id"], sector["id"])
    in_sector = stored(account.api_key, sector_id=str(sector["id"]))
    assert len(in_sector) == 7 and {k["site_id"] for k in in_sector.values()} == {site["id"]}
    # The same file in the site without a sector is a new slot: created again, not duplicates.
    status, body = upload(account.api_key, data, "text/csv", {"site_id": str(site["id"])})
    assert status == 201 and body["created"] == 7
    for params, expected, needle in (
        ({"site_id": "999999"}, 404, "site 999999 not found"),
        ({"sector_id": "999999"}, 404, "sector 999999 not found"),
        ({"site_id": str(other["id"]), "sector_id": str(sector["id"])}, 400, "does not belong"),
        ({"site_id": "abc"}, 422, "site_id"),
        ({"sector": str(sector["id"])}, 422, "'sector': unknown query parameter; use sector_id or site_id"),
    ):
        status, answer = upload(account.api_key, data, "text/csv", params)
        assert status == expected and needle in answer["message"], (params, answer)
    assert len(all_keywords(account.api_key)) == 14


def test_over_limit_body_is_a_413_saying_how_to_send_parts(account):
    line = "a keyword that is long enough to fill the body quickly,Informational,1000,10,0.5\n"
    data = "Keyword,Intent,Volume,Keyword Difficulty,CPC (USD)\n" + line * (MAX_BODY_BYTES // len(line) + 1)
    assert len(data) > MAX_BODY_BYTES

    status, body = upload(account.api_key, data)

    assert status == 413 and body["error"] == "PayloadTooLarge"
    assert "split the file into parts of at most 6 MB" in body["message"]
    assert (
        "each with its header row" in body["message"]
        and "`igny8 import` does this for you" in body["message"]
    )
    status, body = upload(account.api_key, data.encode(), base64_body=True)
    assert status == 413 and "igny8 import" in body["message"]


def test_more_rows_than_one_import_takes_is_a_413_and_stores_nothing(account, monkeypatch):
    from shared.services import keyword_import

    monkeypatch.setattr(keyword_import, "MAX_IMPORT_ROWS", 5)
    data = "Keyword\n" + "".join(f"term {i}\n" for i in range(6))

    status, body = upload(account.api_key, data)

    assert status == 413 and "more than 5 rows" in body["message"] and "igny8 import" in body["message"]
    assert stored(account.api_key) == {}


def test_the_import_is_documented_with_its_body_types(account):
    status, doc = api("GET", "/v1/openapi.json", None)
    assert status == 200
    operation = doc["paths"]["/v1/planner/keywords/import"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {
        "text/csv",
        "text/tab-separated-values",
        "text/plain",
        "application/octet-stream",
        "multipart/form-data",
    }
    assert content["multipart/form-data"]["schema"]["required"] == ["file"]
    assert {"201", "400", "404", "413", "415", "422"} <= set(operation["responses"])
    assert {"site_id", "sector_id"} <= {p["name"] for p in operation["parameters"]}
