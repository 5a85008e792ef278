"""Idempotency-Key on every POST, through the API handler on the local stack."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from local_stack.apigw import call_api, proxy_event
from shared.db.models import Account, Job, Keyword, Site
from shared.db.repo import query_account
from tests.helpers import add_keywords, api

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
AUTO_CLUSTER = "/v1/planner/keywords/auto_cluster/"


def _headers(api_key: str, idempotency_key: str | None = None) -> dict[str, str]:
    headers = {"authorization": f"Bearer {api_key}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers


def _answer(response: dict[str, Any]) -> tuple[int, dict[str, str], Any]:
    """(status, headers with lower-case names, parsed body) of a proxy response."""
    headers = {k.lower(): v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}
    headers.update({k.lower(): v for k, v in (response.get("headers") or {}).items()})
    return int(response["statusCode"]), headers, json.loads(response.get("body") or "null")


def post(
    path: str, api_key: str, body: Any, idempotency_key: str | list[str] | None = None
) -> tuple[int, dict[str, str], Any]:
    """POST through the API handler; a list of keys sends the header once per value."""
    event = proxy_event("POST", path, body, _headers(api_key))
    if idempotency_key is not None:
        values = idempotency_key if isinstance(idempotency_key, list) else [idempotency_key]
        event["headers"]["Idempotency-Key"] = values[-1]
        event["multiValueHeaders"]["Idempotency-Key"] = values
    return _answer(call_api(event))


def jobs_of(account_id: str) -> list[Job]:
    return list(query_account(Job, account_id))


#: One API execution environment: import the handler (its init), wait for "go", answer one event.
#: Lambda runs concurrent requests in separate environments that share only DynamoDB and Step
#: Functions; threads in this process would share one resolver and its per-request state.
ENVIRONMENT = """
import json, sys
event = json.loads(sys.stdin.readline())
from local_stack.stack import invoke_handler
from local_stack.template import function_definitions
import functions.api.app
print("ready", flush=True)
sys.stdin.readline()
payload, errored = invoke_handler(function_definitions()["ApiFunction"], "ApiFunction", event)
print(json.dumps({"errored": errored, "payload": payload}), flush=True)
"""


def concurrently(event: dict[str, Any], copies: int) -> list[tuple[int, dict[str, str], Any]]:
    """``event`` sent at once to ``copies`` fresh API execution environments (processes)."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", ENVIRONMENT],
            cwd=ROOT,
            env=dict(os.environ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(copies)
    ]
    try:
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write(json.dumps(event) + "\n")
            worker.stdin.flush()
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        answers = []
        for worker in workers:
            out, _ = worker.communicate(timeout=60)
            result = json.loads(out.strip().splitlines()[-1])
            assert result["errored"] is False, result
            answers.append(_answer(json.loads(result["payload"])))
        return answers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()


def test_five_concurrent_auto_clusters_with_one_key_start_one_job(stack, account):
    ids = add_keywords(account.account_id, ["pour over kettle", "gooseneck kettle", "kettle thermometer"])
    event = proxy_event("POST", AUTO_CLUSTER, {"ids": ids}, _headers(account.api_key, "cluster-kettles-1"))

    answers = concurrently(event, 5)

    started = [body for status, _, body in answers if status == 202]
    busy = [body for status, _, body in answers if status == 409]
    assert len(started) + len(busy) == 5, answers
    assert started, answers
    assert all(body == started[0] for body in started)  # one job, the same answer for each
    for body in busy:
        assert body["error"] == "IdempotencyKeyInProgress"
        assert body["message"].startswith("a request with this key is in progress; retry later")
    (job,) = jobs_of(account.account_id)
    assert job.task_id == started[0]["task_id"]
    stack.wait_idle()

    # Later, the same key and body: the first answer again, marked as a replay, and no second job.
    status, headers, again = post(AUTO_CLUSTER, account.api_key, {"ids": ids}, "cluster-kettles-1")
    assert status == 202 and again == started[0]
    assert headers["idempotent-replayed"] == "true"
    assert [j.task_id for j in jobs_of(account.account_id)] == [job.task_id]


def test_a_replayed_keyword_import_returns_the_first_answer_and_writes_nothing(account):
    first_body = '{"keywords": [{"keyword": "aeropress recipe", "volume": 900}, {"keyword": "moka pot"}]}'
    status, headers, first = post("/v1/planner/keywords/", account.api_key, first_body, "import-2026-12-01")
    assert status == 201 and first["created"] == 2
    assert "idempotent-replayed" not in headers
    rows = sorted(int(k.id) for k in query_account(Keyword, account.account_id))

    # The same body re-serialised (other key order, other spacing) is the same request.
    same = {"keywords": [{"volume": 900, "keyword": "aeropress recipe"}, {"keyword": "moka pot"}]}
    status, headers, again = post("/v1/planner/keywords", account.api_key, same, "import-2026-12-01")

    assert status == 201 and again == first  # not {"created": 0, "duplicates": [...]}
    assert headers["idempotent-replayed"] == "true" and headers["content-type"] == "application/json"
    assert sorted(int(k.id) for k in query_account(Keyword, account.account_id)) == rows


def test_the_same_key_with_another_body_is_a_409(account):
    status, _, site = post("/v1/planner/sites/", account.api_key, {"name": "Coffee blog"}, "site-1")
    assert status == 201

    status, _, body = post("/v1/planner/sites/", account.api_key, {"name": "Tea blog"}, "site-1")

    assert status == 409
    assert body["success"] is False and body["error"] == "IdempotencyKeyReused"
    assert body["message"].startswith("Idempotency-Key reused with a different body")
    assert "POST /v1/planner/sites" in body["message"]
    assert [s.name for s in query_account(Site, account.account_id)] == ["Coffee blog"]
    # The key is scoped by path too: the same key on another route is another request.
    status, headers, sector = post(
        "/v1/planner/sectors/", account.api_key, {"name": "Brewing", "site_id": site["id"]}, "site-1"
    )
    assert status == 201 and sector["name"] == "Brewing" and "idempotent-replayed" not in headers


def test_a_key_whose_first_request_still_runs_is_a_409_until_its_deadline(account):
    from shared.api.idempotency import fingerprint, persistence_layer

    body = {"name": "Slow"}
    event = proxy_event("POST", "/v1/planner/sites/", body, _headers(account.api_key, "slow-1"))
    # What a first request leaves while it runs: an in-progress record until the Lambda's deadline.
    persistence_layer().save_inprogress(fingerprint(account.account_id, event, "slow-1"), 60_000)

    status, _, busy = post("/v1/planner/sites/", account.api_key, body, "slow-1")

    assert status == 409 and busy["error"] == "IdempotencyKeyInProgress"
    assert busy["message"].startswith("a request with this key is in progress; retry later")
    assert list(query_account(Site, account.account_id)) == []

    # A first request that died (its Lambda timed out) holds the key only until its deadline.
    event = proxy_event("POST", "/v1/planner/sites/", body, _headers(account.api_key, "slow-2"))
    persistence_layer().save_inprogress(fingerprint(account.account_id, event, "slow-2"), 0)
    time.sleep(0.01)
    status, _, created = post("/v1/planner/sites/", account.api_key, body, "slow-2")
    assert status == 201 and created["name"] == "Slow"
    status, headers, again = post("/v1/planner/sites/", account.api_key, body, "slow-2")
    assert (status, again, headers["idempotent-replayed"]) == (201, created, "true")
    assert [s.name for s in query_account(Site, account.account_id)] == ["Slow"]


@pytest.mark.parametrize(
    "key",
    ["", "k" * 256, "caf\u00e9", "tab\tkey", " padded", "padded ", "line\nbreak", ["one", "two"]],
    ids=["empty", "256-chars", "non-ascii", "tab", "leading-space", "trailing-space", "newline", "twice"],
)
def test_a_malformed_key_is_a_400_naming_the_header(account, key):
    status, _, body = post("/v1/planner/sites/", account.api_key, {"name": "Never saved"}, key)

    assert status == 400 and body["error"] == "IdempotencyKeyInvalid"
    assert "Idempotency-Key" in body["message"]
    assert list(query_account(Site, account.account_id)) == []


def test_the_longest_key_and_one_with_inner_spaces_are_accepted(account):
    for key in ("k" * 255, "order 42 / retry"):
        status, _, _ = post("/v1/planner/sites/", account.api_key, {"name": f"site {len(key)}"}, key)
        assert status == 201
    assert len(list(query_account(Site, account.account_id))) == 2


def test_without_the_header_nothing_changes(account):
    for _ in range(2):
        status, headers, _ = post("/v1/planner/sites/", account.api_key, {"name": "Twice"})
        assert status == 201 and "idempotent-replayed" not in headers
    assert [s.name for s in query_account(Site, account.account_id)] == ["Twice", "Twice"]


def test_a_request_that_failed_may_be_retried_with_its_key(stack, account):
    ids = add_keywords(account.account_id, [f"grinder keyword {i}" for i in range(25)])
    Account(account.account_id).update(actions=[Account.credits.set(2)])

    status, _, refused = post(AUTO_CLUSTER, account.api_key, {"ids": ids}, "after-top-up")
    assert status == 402 and refused["error"] == "InsufficientCredits"
    assert jobs_of(account.account_id) == []

    Account(account.account_id).update(actions=[Account.credits.set(100)])  # the top-up
    status, headers, started = post(AUTO_CLUSTER, account.api_key, {"ids": ids}, "after-top-up")

    assert status == 202 and "idempotent-replayed" not in headers
    assert [j.task_id for j in jobs_of(account.account_id)] == [started["task_id"]]
    stack.wait_idle()


def test_another_account_with_the_same_key_does_its_own_work(stack, account):
    from shared.services.accounts import create_account, create_api_key

    other = create_account("Other agency", credits=1000)
    other_key = create_api_key(other.account_id)
    body = {"name": "Same name, same key"}

    status, _, mine = post("/v1/planner/sites/", account.api_key, body, "shared-key")
    assert status == 201
    status, headers, theirs = post("/v1/planner/sites/", other_key, body, "shared-key")

    assert status == 201 and "idempotent-replayed" not in headers
    assert [s.name for s in query_account(Site, other.account_id)] == [body["name"]]
    assert [s.name for s in query_account(Site, account.account_id)] == [body["name"]]
    assert (mine["name"], theirs["name"]) == (body["name"], body["name"])


def test_a_success_is_remembered_for_24_hours_under_an_account_scoped_key(stack, account):
    from shared.config import get_settings

    status, _, _ = post("/v1/planner/sites/", account.api_key, {"name": "Remembered"}, "ttl-check")
    assert status == 201

    scope = [[account.account_id, "POST", "/v1/planner/sites"], "ttl-check"]
    digest = hashlib.sha256(json.dumps(scope, sort_keys=True).encode()).hexdigest()
    item = stack.client("dynamodb").get_item(
        TableName=get_settings().idempotency_table_name, Key={"id": {"S": f"igny8-api#{digest}"}}
    )["Item"]
    assert item["status"]["S"] == "COMPLETED"
    assert abs(int(item["expiration"]["N"]) - (time.time() + 24 * 3600)) < 120


def test_the_table_and_its_access_match_the_persistence_layer(stack):
    from local_stack.template import load_template
    from shared.api.idempotency import persistence_layer
    from shared.config import get_settings

    resources = load_template()["Resources"]
    props = resources["IdempotencyTable"]["Properties"]
    layer = persistence_layer()
    assert props["KeySchema"] == [{"AttributeName": layer.key_attr, "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": layer.expiry_attr, "Enabled": True}
    assert layer.table_name == get_settings().idempotency_table_name
    described = stack.client("dynamodb").describe_table(TableName=layer.table_name)["Table"]
    assert described["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    api_function = resources["ApiFunction"]["Properties"]
    assert api_function["Environment"]["Variables"]["IDEMPOTENCY_TABLE"] == {"Ref": "IdempotencyTable"}
    (statement,) = [
        s for p in api_function["Policies"] for s in p.get("Statement", []) if "IdempotencyTable" in str(s)
    ]
    assert sorted(statement["Action"]) == [
        "dynamodb:DeleteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ]
    others = [name for name, r in resources.items() if name != "ApiFunction" and "IdempotencyTable" in str(r)]
    assert others == []  # no other function may touch the records


def test_every_post_documents_the_header_and_the_409(stack):
    status, doc = api("GET", "/v1/openapi.json", None)
    assert status == 200
    posts = {path: item["post"] for path, item in doc["paths"].items() if "post" in item}
    assert {"/v1/planner/sites", "/v1/planner/keywords/auto_cluster", "/v1/writer/tasks"} <= set(posts)
    for path, operation in posts.items():
        (parameter,) = [p for p in operation.get("parameters", []) if p["name"] == "Idempotency-Key"]
        assert parameter["in"] == "header" and parameter["required"] is False, path
        assert parameter["schema"]["maxLength"] == 255
        conflict = operation["responses"]["409"]
        assert conflict["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
        success = [r for code, r in operation["responses"].items() if int(code) < 400]
        assert all("Idempotent-Replayed" in r["headers"] for r in success), path
    for path, item in doc["paths"].items():
        if "get" in item:
            names = [p["name"] for p in item["get"].get("parameters", [])]
            assert "Idempotency-Key" not in names and "409" not in item["get"]["responses"], path
