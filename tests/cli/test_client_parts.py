"""Parts of the CLI without the stack: body decoding, export pages, file names, jobs, targets."""

from __future__ import annotations

import base64
import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
import pytest

from igny8_cli.client import Api, ApiError, Reply, decode_body
from igny8_cli.commands_export import attachment_name, fetch_pages, join_pages
from igny8_cli.commands_jobs import list_jobs
from igny8_cli.local import NO_SERVER, LocalServer, read_local_file, remove_local_file, write_local_file
from igny8_cli.target import Target
from tests.cli.fakes import FakeTransport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WORKBOOK = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xff\xfe binary"


def test_bodies_are_decoded_by_content_type():
    assert decode_body(b'{"a": 1}', {"content-type": "application/json"}) == {"a": 1}
    assert decode_body(b"", {}) is None
    assert decode_body(b"<html>oops</html>", {"content-type": "application/json"}) == {
        "message": "<html>oops</html>"
    }
    csv_text = "keyword,volume\ncafé au lait,10\n"
    assert decode_body(csv_text.encode(), {"content-type": "text/csv; charset=utf-8"}) == csv_text
    assert decode_body(csv_text.encode("latin-1"), {"content-type": "text/csv; charset=latin-1"}) == csv_text
    assert decode_body("# Ideas\n", {"content-type": "text/markdown"}) == "# Ideas\n"
    # an XLSX workbook: raw bytes as they are, base64 (API Gateway's form) decoded, either way bytes
    assert decode_body(WORKBOOK, {"content-type": XLSX}) == WORKBOOK
    assert decode_body(base64.b64encode(WORKBOOK), {"content-type": XLSX}) == WORKBOOK
    encoded = base64.b64encode(b"<p>hi</p>").decode()
    assert decode_body(encoded, {"content-type": "text/html"}, base64_encoded=True) == "<p>hi</p>"


def test_fetch_returns_text_and_call_refuses_it():
    transport = FakeTransport(
        Reply(200, "a,b\n", {"content-type": "text/csv"}),
        Reply(200, "<html>", {"content-type": "text/html"}),
        Reply(404, "no such page", {"content-type": "text/plain"}),
    )
    api = Api(transport)

    assert api.fetch("GET", "/v1/export/keywords", accept="text/csv").body == "a,b\n"
    with pytest.raises(ApiError, match="GET /v1/report: 200 expected a JSON answer, got text/html"):
        api.call("GET", "/v1/report")
    with pytest.raises(ApiError, match="404 no such page"):
        api.fetch("GET", "/v1/x")
    assert transport.accepts == ["text/csv", "application/json", "*/*"]
    assert transport.content_types == [None, None, None]  # JSON bodies: the transport's default


def test_export_pages_follow_x_next_after_and_join_under_one_header():
    transport = FakeTransport(
        Reply(200, "keyword,volume\na,1\nb,2\n", {"x-next-after": "2"}),
        Reply(200, "keyword,volume\nc,3\n", {"x-next-after": "3"}),
        Reply(200, "keyword,volume\nd,4", {}),
    )

    pages = fetch_pages(Api(transport), "/v1/export/keywords", {"format": "csv", "sector_id": "4"})

    assert [r[3] for r in transport.requests] == [
        {"format": "csv", "sector_id": "4"},
        {"format": "csv", "sector_id": "4", "after": "2"},
        {"format": "csv", "sector_id": "4", "after": "3"},
    ]
    assert transport.accepts == ["text/csv"] * 3
    assert join_pages([p.body for p in pages]) == "keyword,volume\na,1\nb,2\nc,3\nd,4\n"
    ideas = join_pages(["# Content ideas\n\n## One\n", "# Content ideas\n\n## Two\n"])
    assert ideas == "# Content ideas\n\n## One\n\n## Two\n"


def test_a_repeated_cursor_ends_the_pages():
    transport = FakeTransport(
        Reply(200, "x\n", {"x-next-after": "5"}), Reply(200, "y\n", {"x-next-after": "5"})
    )

    assert len(fetch_pages(Api(transport), "/v1/export/ideas", {"format": "md"})) == 2


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ('attachment; filename="0007-cold-brew.html"', "0007-cold-brew.html"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ("attachment; filename=..\\..\\x.md", "x.md"),
        ('attachment; filename=".."', None),
        ("inline", None),
        (None, None),
    ],
)
def test_attachment_names_are_reduced_to_a_base_name(header, name):
    headers = {"content-disposition": header} if header else {}

    assert attachment_name(Reply(200, "", headers)) == name


def _jobs(*specs: tuple[str, str, str]) -> dict[str, Any]:
    return {
        "results": [{"task_id": t, "function": f, "status": s, "created_at": t} for t, f, s in specs],
        "next": None,
    }


def test_jobs_are_filtered_and_limited_even_by_an_api_that_ignores_the_filters():
    transport = FakeTransport(
        (200, {**_jobs(("9", "generate_ideas", "completed"), ("8", "auto_cluster", "failed")), "next": "8"}),
        (200, _jobs(("7", "generate_ideas", "failed"), ("6", "generate_ideas", "completed"))),
    )

    found = list_jobs(Api(transport), "generate_ideas", None, 2)

    assert [j["task_id"] for j in found] == ["9", "7"]
    assert [r[3] for r in transport.requests] == [
        {"function": "generate_ideas", "limit": "2"},
        {"function": "generate_ideas", "limit": "2", "after": "8"},
    ]


def test_target_prefers_api_then_local_server_then_private_stack():
    private = Api(FakeTransport())
    server = LocalServer("http://127.0.0.1:3000", "igy_k", "acct", "offline local provider")
    lookups: list[int] = []

    def found() -> LocalServer:
        lookups.append(1)
        return server

    with_server = Target(local=lambda: nullcontext(private), server=found)
    assert not with_server.is_local and with_server.describe().startswith("local API http://127.0.0.1:3000")
    with with_server.connect(needs_saved_data=True) as api:
        assert api.transport.description == "http://127.0.0.1:3000"  # type: ignore[attr-defined]
    assert lookups == [1]  # looked up once per command

    alone = Target(local=lambda: nullcontext(private), server=lambda: None)
    assert alone.is_local and alone.describe().startswith("local stack in process")
    with alone.connect() as api:
        assert api is private
    with (
        pytest.raises(click.ClickException, match="no local API is running"),
        alone.connect(needs_saved_data=True),
    ):
        pass
    assert "make api" in NO_SERVER

    explicit = Target(api_url="https://api.example.com/Prod", api_key="k", server=found)
    assert explicit.describe() == "API https://api.example.com/Prod" and lookups == [1]


def test_the_local_api_record_belongs_to_its_server(tmp_path, monkeypatch):
    record = tmp_path / ".igny8" / "local.json"
    monkeypatch.setenv("IGNY8_LOCAL_FILE", str(record))
    server = LocalServer("http://127.0.0.1:3000", "igy_secret", "acct_1", "offline local provider", pid=111)

    write_local_file(server)

    assert read_local_file() == server and json.loads(record.read_text())["key"] == "igy_secret"
    assert (record.parent / ".gitignore").read_text() == "*\n"  # the folder keeps itself out of git
    remove_local_file(222)  # another server's exit leaves it
    assert record.exists()
    remove_local_file(111)
    assert not record.exists() and read_local_file() is None
    record.write_text("{not json")
    assert read_local_file() is None
    assert read_local_file(Path(tmp_path / "missing.json")) is None
