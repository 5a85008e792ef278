"""The API's error contract: one error shape for every 4xx/5xx, and bad input refused early."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from local_stack.apigw import call_api, proxy_event
from shared.api.contract import MAX_BODY_BYTES, ErrorBody
from shared.db.models import Keyword
from shared.db.repo import query_account
from tests.helpers import add_keywords, api

pytestmark = pytest.mark.integration


def _call(
    method: str, path: str, key: str | None, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    all_headers = {**({"authorization": f"Bearer {key}"} if key else {}), **(headers or {})}
    response = call_api(proxy_event(method, path, body, all_headers))
    merged = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    merged.update({k.lower(): v[0] for k, v in (response.get("multiValueHeaders") or {}).items()})
    return int(response["statusCode"]), json.loads(response["body"]), merged


def _assert_error_shape(body: dict[str, Any], name: str | None = None) -> None:
    ErrorBody.model_validate(body)
    assert body["success"] is False and isinstance(body["message"], str) and body["message"]
    assert set(body) <= {"success", "error", "message", "errors"}
    if name:
        assert body["error"] == name


def test_wrong_method_on_an_existing_path_is_405_with_allow(account):
    status, body, headers = _call("DELETE", "/v1/planner/keywords/", account.api_key)
    assert status == 405 and headers["allow"] == "GET, POST"
    _assert_error_shape(body, "MethodNotAllowed")
    status, body, headers = _call("POST", "/v1/jobs/some-task", None)
    assert status == 405 and headers["allow"] == "GET"


def test_unknown_path_is_404_in_the_error_shape(account):
    status, body, _ = _call("GET", "/v1/nothing-here", account.api_key)
    assert status == 404 and body["message"] == "no route for /v1/nothing-here"
    _assert_error_shape(body, "NotFound")


def test_a_body_over_6_mb_is_413(account):
    big = json.dumps({"keywords": [{"keyword": "x" * 200}] * (MAX_BODY_BYTES // 200 + 10)})
    status, body, _ = _call("POST", "/v1/planner/keywords/", account.api_key, big)
    assert status == 413 and "6 MB" in body["message"]
    _assert_error_shape(body, "PayloadTooLarge")


def test_an_unsupported_content_type_is_415_in_the_error_shape(account):
    status, body, _ = _call(
        "POST", "/v1/planner/keywords/", account.api_key, "keyword,volume\nx,1", {"content-type": "text/csv"}
    )
    assert status == 415 and "text/csv" in body["message"]
    _assert_error_shape(body, "UnsupportedMediaType")


def test_json_sent_as_curls_default_form_type_is_still_read(account):
    status, body, _ = _call(
        "POST",
        "/v1/planner/keywords/",
        account.api_key,
        '{"keywords": [{"keyword": "form typed"}]}',
        {"content-type": "application/x-www-form-urlencoded"},
    )
    assert status == 201 and body["created"] == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{not json", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested deeper"),
        ('{"keywords": ' + "[" * 40 + "]" * 40 + "}", "nested deeper"),
    ],
    ids=["malformed", "100k-nested", "40-nested"],
)
def test_malformed_or_deeply_nested_json_is_400(account, raw, expected):
    status, body, _ = _call("POST", "/v1/planner/keywords/", account.api_key, raw)
    assert status == 400 and expected in body["message"]
    _assert_error_shape(body, "BadRequest")


def test_a_non_utf8_body_is_400_through_the_lambda_event(account):
    status, body, _ = _call("POST", "/v1/planner/keywords/", account.api_key, b'{"keywords": "\xff\xfe"}')
    assert status == 400 and "not UTF-8" in body["message"]
    _assert_error_shape(body, "BadRequest")


@pytest.fixture
def served(stack) -> Iterator[tuple[str, int]]:
    from local_stack.apigw import serve

    server = serve("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield "127.0.0.1", server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_the_local_server_answers_a_non_utf8_body_with_400(served, account):
    body = b'{"keywords": [{"keyword": "\xff\xfe"}]}'
    request = (
        b"POST /v1/planner/keywords/ HTTP/1.1\r\nHost: local\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {account.api_key}\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n".encode()
        + body
    )
    with socket.create_connection(served, timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert "not UTF-8" in json.loads(payload)["message"]


def test_echoed_values_are_clipped(account):
    huge = "m" * 1_000_000
    for body in ({"model": huge}, {"functions": {"auto_cluster": {"model": huge}}}, {huge: 1}):
        status, response, _ = _call("PUT", "/v1/settings/ai", account.api_key, body)
        assert 400 <= status < 500
        _assert_error_shape(response)
        assert len(json.dumps(response)) < 3_000
        assert "m" * 101 not in json.dumps(response)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ('{"keywords": [{"keyword": "kw e309", "cpc": 1e309}]}', "keywords.0.cpc"),
        ('{"keywords": [{"keyword": "kw e200", "cpc": 1e200}]}', "keywords.0.cpc"),
        ('{"keywords": [{"keyword": "kw e-200", "cpc": 1e-200}]}', "keywords.0.cpc"),
        ('{"keywords": [{"keyword": "kw tiny", "cpc": 0.00001}]}', "keywords.0.cpc"),
        ('{"keywords": [{"keyword": "kw nan", "cpc": NaN}]}', "keywords.0.cpc"),
        ('{"keywords": [{"keyword": "kw inf", "cpc": -Infinity}]}', "keywords.0.cpc"),
        ('{"keywords": [{"keyword": "kw big", "cpc": 1000001}]}', "keywords.0.cpc"),
        (
            '{"keywords": [{"keyword": "kw vo", "volume_override": ' + str(10**200) + "}]}",
            "keywords.0.volume_override",
        ),
        ('{"keywords": [{"keyword": "kw v", "volume": ' + str(10**12 + 1) + "}]}", "keywords.0.volume"),
        ('{"keywords": [{"keyword": "kw v", "volume": 1e130}]}', "keywords.0.volume"),
        ('{"keywords": [{"keyword": "kw v"}], "sector_id": ' + str(10**40) + "}", "sector_id"),
    ],
)
def test_numbers_dynamodb_cannot_store_are_422_naming_the_field(account, raw, field):
    status, body, _ = _call("POST", "/v1/planner/keywords/", account.api_key, raw)
    assert status == 422, body
    _assert_error_shape(body, "RequestInvalid")
    assert field in [e["field"] for e in body["errors"]] and field in body["message"]
    assert list(query_account(Keyword, account.account_id)) == []
    # The same keyword imports once the number is right.
    keyword = json.loads(raw.replace("NaN", "0").replace("-Infinity", "0"), parse_float=lambda _: 0)
    keyword["keywords"][0] = {"keyword": keyword["keywords"][0]["keyword"], "cpc": 1.25, "volume": 10}
    keyword.pop("sector_id", None)
    status, created, _ = _call("POST", "/v1/planner/keywords/", account.api_key, keyword)
    assert status == 201 and created["created"] == 1 and created["results"][0]["keyword"]


def test_integral_floats_are_integers_and_cpc_is_rounded(account):
    status, body, _ = _call(
        "POST",
        "/v1/planner/keywords/",
        account.api_key,
        {"keywords": [{"keyword": "kw f", "volume": 120.0, "cpc": 0.123456}]},
    )
    assert status == 201 and body["results"][0]["volume"] == 120


def test_unknown_intent_is_422_naming_the_field_and_the_choices(account):
    status, body, _ = _call(
        "POST", "/v1/planner/keywords/", account.api_key, {"keywords": [{"keyword": "x", "intent": "bogus"}]}
    )
    assert status == 422 and [e["field"] for e in body["errors"]] == ["keywords.0.intent"]
    for intent in ("informational", "navigational", "commercial", "transactional"):
        assert intent in body["errors"][0]["message"]
    assert list(query_account(Keyword, account.account_id)) == []


@pytest.mark.parametrize(
    ("intent", "stored"),
    [
        ("COMMERCIAL", "commercial"),
        ("Navigational", "navigational"),
        ("trans", "transactional"),
        ("Commercial, Transactional", "commercial"),
        ("", "informational"),
        (None, "informational"),
    ],
)
def test_intent_case_variants_and_tool_lists_are_accepted(account, intent, stored):
    status, body, _ = _call(
        "POST",
        "/v1/planner/keywords/",
        account.api_key,
        {"keywords": [{"keyword": f"kw {intent}", "intent": intent}]},
    )
    assert status == 201 and body["results"][0]["intent"] == stored


def test_a_dynamodb_error_never_reaches_the_response(account, monkeypatch):
    from botocore.exceptions import ClientError

    import shared.api.planner_routes as routes

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise ClientError(
            {
                "Error": {
                    "Code": "ValidationException",
                    "Message": "Number overflow in table igny8-test-Keywords",
                }
            },
            "BatchWriteItem",
        )

    monkeypatch.setattr(routes, "create_keywords", failing)
    event = proxy_event(
        "POST",
        "/v1/planner/keywords/",
        {"keywords": [{"keyword": "x"}]},
        {"authorization": f"Bearer {account.api_key}"},
    )
    response = call_api(event)
    body = json.loads(response["body"])
    assert response["statusCode"] == 500
    _assert_error_shape(body, "InternalError")
    assert body["message"] == f"internal error, request id {event['requestContext']['requestId']}"
    assert "igny8" not in response["body"] and "Number overflow" not in response["body"]


def test_a_5xx_engine_error_keeps_only_its_name(account, monkeypatch):
    import shared.api.planner_routes as routes
    from shared.errors import BatchIncomplete

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise BatchIncomplete("igny8-test-Keywords: wrote 3 of 5 requests")

    monkeypatch.setattr(routes, "create_keywords", failing)
    status, body, _ = _call(
        "POST", "/v1/planner/keywords/", account.api_key, {"keywords": [{"keyword": "x"}]}
    )
    assert status == 503 and body["message"].startswith("internal error, request id ")
    _assert_error_shape(body, "BatchIncomplete")
    assert "igny8" not in json.dumps(body)


def test_an_unknown_sector_is_404_before_any_job(account):
    from shared.db.models import Job

    status, body, _ = _call(
        "POST",
        "/v1/planner/keywords/auto_cluster/",
        account.api_key,
        {"sector_id": 987654, "unclustered": True},
    )
    assert status == 404 and "987654" in body["message"]
    _assert_error_shape(body, "NotFound")
    assert list(query_account(Job, account.account_id)) == []


def test_duplicate_idea_ids_are_422_like_ids(account):
    status, body, _ = _call("POST", "/v1/writer/tasks/", account.api_key, {"idea_ids": [1, 1]})
    assert status == 422 and "duplicates" in body["message"]
    assert [e["field"] for e in body["errors"]] == ["idea_ids"]


def test_a_missing_key_is_401_before_the_body_is_read(account):
    status, body, _ = _call("POST", "/v1/planner/keywords/", None, {"keywords": "not a list"})
    assert status == 401
    _assert_error_shape(body, "Unauthorized")


def test_validation_errors_have_the_documented_shape(account):
    response = call_api(
        proxy_event(
            "GET",
            "/v1/planner/keywords/",
            None,
            {"authorization": f"Bearer {account.api_key}"},
            {"limit": "0"},
        )
    )
    body = json.loads(response["body"])
    assert response["statusCode"] == 422 and body["errors"][0]["field"] == "query.limit"
    _assert_error_shape(body, "RequestInvalid")
    assert all(set(e) == {"field", "message"} for e in body["errors"])


def test_the_jobs_list_is_newest_first(stack, account):
    ids = add_keywords(account.account_id, ["jobs order one", "jobs order two"])
    started = []
    for _ in range(3):
        status, body = api("POST", "/v1/planner/keywords/auto_cluster/", account.api_key, {"ids": ids})
        assert status == 202, body
        started.append(body["task_id"])
        stack.wait_idle()  # one job at a time over the same keywords (a second one would be a 409)
    status, listed = api("GET", "/v1/jobs/", account.api_key)
    created = [j["created_at"] for j in listed["results"]]
    assert status == 200 and created == sorted(created, reverse=True)
    assert set(started) <= {j["task_id"] for j in listed["results"]}


def test_put_ai_settings_with_only_temperature_keeps_the_model(account):
    status, saved = api(
        "PUT", "/v1/settings/ai", account.api_key, {"model": "gpt-4o-mini", "temperature": 0.2}
    )
    assert status == 200, saved
    status, saved = api("PUT", "/v1/settings/ai", account.api_key, {"temperature": 0.5})
    assert status == 200
    status, current = api("GET", "/v1/settings/ai", account.api_key)
    assert status == 200 and current["model"] == "gpt-4o-mini" and current["temperature"] == 0.5


def test_header_names_in_any_case_are_read(stack, account):
    """API Gateway passes header names as the client sent them (``Content-Type``, ``Authorization``)."""
    event = proxy_event(
        "POST",
        "/v1/planner/keywords/",
        "keyword\ncold brew",
        {"Authorization": f"Bearer {account.api_key}", "Content-Type": "text/csv"},
    )
    del event["headers"]["content-type"], event["multiValueHeaders"]["content-type"]
    response = call_api(event)
    body = json.loads(response["body"])
    assert response["statusCode"] == 415 and body["error"] == "UnsupportedMediaType"
    assert "send application/json" in body["message"]
