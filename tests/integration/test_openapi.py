"""The API document: served without a key, complete, and true to the API (schemathesis)."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import api

pytestmark = pytest.mark.integration

#: Examples schemathesis generates per operation, schema-valid and schema-invalid ones mixed
#: (bounded: the whole run took 40 s here, without coverage).
EXAMPLES_PER_OPERATION = 30
#: Operations whose values are also checked in context, beyond what a schema can say (the model
#: catalogue, the account's endpoint, a prompt's placeholders): a schema-valid body may get their
#: documented 400, so schemathesis' "schema-valid data is accepted" check does not apply to them.
CHECKED_IN_CONTEXT = {
    "PUT /v1/settings/ai",
    "PATCH /v1/settings/ai",
    "PUT /v1/settings/prompts/{function_name}",
    "POST /v1/planner/keywords/auto_cluster",  # a selection that selects no keyword is a 400
    "POST /v1/planner/keywords",  # a sector of another site is a 400
    "POST /v1/planner/keywords/import",  # a file's contents (text, a header row) are read in context: a 422
    "PUT /v1/account/webhook",  # whether a URL may be used depends on what its host resolves to
    "PUT /v1/planner/sites/{site_id}/wordpress",  # likewise, and WordPress must accept the password
    "PATCH /v1/planner/sites/{site_id}",  # a domain must be a host name
}


#: Operations whose body is a file of any text: schemathesis' "schema-violating" bodies (an array
#: serialised as ``[]``) are still a file of one line, which the route reads as a one-keyword list.
RAW_FILE_BODY = {"POST /v1/planner/keywords/import"}


def _document(account_key: str | None = None) -> tuple[int, Any]:
    return api("GET", "/v1/openapi.json", account_key)


def test_the_document_is_served_without_a_key(stack):
    status, doc = _document()
    assert status == 200
    assert doc["openapi"] == "3.1.0" and doc["info"]["title"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "API key",
        "description": "`Authorization: Bearer <key>`",
    }
    assert schemes["apiKeyHeader"]["in"] == "header" and schemes["apiKeyHeader"]["name"] == "x-api-key"
    assert doc["security"] == [{"bearerAuth": []}, {"apiKeyHeader": []}]


def test_every_operation_documents_its_statuses_with_the_error_schema(stack):
    _, doc = _document()
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    error = schemas["ErrorBody"]
    assert set(error["required"]) == {"error", "message"}
    assert {"success", "error", "message", "errors"} <= set(error["properties"])
    assert error["examples"]
    operations = [(m, p, op) for p, item in doc["paths"].items() for m, op in item.items()]
    assert len(operations) >= 25
    for method, path, op in operations:
        responses = op["responses"]
        for code, response in responses.items():
            if int(code) >= 400:
                assert response["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorBody"
                }, (method, path, code)
        if path == "/health":
            assert op["security"] == [] and list(responses) == ["200"]
            continue
        assert {"401", "500"} <= set(responses), (method, path)
        if "requestBody" in op:
            assert {"400", "413", "415", "422"} <= set(responses), (method, path)
        if "{" in path:
            assert "404" in responses, (method, path)
    by_route = {(m.upper(), p): set(op["responses"]) for m, p, op in operations}
    assert {"202", "402", "404"} <= by_route[("POST", "/v1/planner/keywords/auto_cluster")]
    assert {"201", "404"} <= by_route[("POST", "/v1/planner/keywords")]
    keyword = schemas["KeywordIn"]
    assert keyword["examples"] and keyword["properties"]["cpc"]["anyOf"]


def test_swagger_ui_is_served_without_a_key_and_loads_nothing_from_elsewhere(stack):
    from local_stack.apigw import call_api, proxy_event

    response = call_api(proxy_event("GET", "/docs"))
    assert response["statusCode"] == 200
    headers = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    assert headers["content-type"][0].startswith("text/html")
    page = response["body"]
    assert "SwaggerUIBundle" in page and '"openapi": "3.1.0"' in page
    assert "<script src=" not in page and "<link rel='stylesheet'" not in page


# ---------------------------------------------------------------- schemathesis
@pytest.fixture
def served(stack) -> Iterator[str]:
    """The local API server (what ``make api`` serves) on a free loopback port."""
    from local_stack.apigw import serve

    server = serve("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_the_served_api_answers_as_its_document_says(served, account, stack):
    """schemathesis, against the document served over HTTP: no 5xx, no response the document
    does not allow, on every operation (authenticated with a real key)."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis import GenerationMode

    with urllib.request.urlopen(f"{served}/v1/openapi.json") as response:
        assert json.loads(response.read())["openapi"] == "3.1.0"
    from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

    schema = schemathesis.openapi.from_url(f"{served}/v1/openapi.json")
    headers = {"Authorization": f"Bearer {account.api_key}"}
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        excluded = [positive_data_acceptance] if operation.label in CHECKED_IN_CONTEXT else []
        if operation.label in RAW_FILE_BODY:
            excluded.append(negative_data_rejection)

        strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
            GenerationMode.NEGATIVE
        )

        @given(case=strategy)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=excluded, timeout=30)  # noqa: B023

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # one report per operation, then the next
            failures.append(f"{operation.label}: {exc}")
    stack.wait_idle(timeout=60)
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
