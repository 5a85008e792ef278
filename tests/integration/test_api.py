"""The HTTP API through its Lambda handler: auth, account isolation, validation, async jobs."""

from __future__ import annotations

import pytest

from shared.db.models import Keyword
from shared.db.repo import query_account
from tests.helpers import add_keywords, api

pytestmark = pytest.mark.integration


def test_requests_without_or_with_unknown_key_are_refused(account):
    status, body = api("GET", "/v1/planner/keywords/", None)
    assert status == 401 and "Authorization: Bearer" in body["message"]
    status, body = api("GET", "/v1/planner/keywords/", "igy_not_a_key")
    assert status == 401 and body["message"] == "unknown API key"


def test_x_api_key_header_works(account):
    from local_stack.apigw import call_api, proxy_event

    response = call_api(proxy_event("GET", "/v1/planner/keywords/", headers={"x-api-key": account.api_key}))
    assert response["statusCode"] == 200


def test_bulk_create_and_list_keywords(account):
    status, body = api(
        "POST",
        "/v1/planner/keywords/",
        account.api_key,
        {
            "keywords": [
                {
                    "keyword": "French press ratio",
                    "volume": 1900,
                    "difficulty": 22,
                    "intent": "Informational",
                },
                {"keyword": "french  press ratio", "volume": 10},
                {
                    "keyword": "burr grinder",
                    "volume": 4400,
                    "difficulty": 51,
                    "intent": "Commercial, Transactional",
                },
            ]
        },
    )
    assert status == 201
    assert body["created"] == 2 and body["duplicates"] == ["french  press ratio"]
    assert body["results"][1]["intent"] == "commercial"

    status, listed = api("GET", "/v1/planner/keywords/", account.api_key, query={"limit": "1"})
    assert status == 200 and len(listed["results"]) == 1 and listed["next"] == 1
    status, rest = api("GET", "/v1/planner/keywords/", account.api_key, query={"after": "1"})
    assert [k["keyword"] for k in rest["results"]] == ["burr grinder"] and rest["next"] is None

    # Importing the same keyword again does not duplicate it.
    status, again = api(
        "POST", "/v1/planner/keywords/", account.api_key, {"keywords": [{"keyword": "burr grinder"}]}
    )
    assert status == 201 and again["created"] == 0 and again["duplicates"] == ["burr grinder"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"keywords": []}, "keywords"),
        ({"keywords": [{"keyword": ""}]}, "keywords.0.keyword"),
        ({"keywords": [{"keyword": "x", "volume": "many"}]}, "keywords.0.volume"),
        ({"keywords": [{"keyword": "x", "volume": False}]}, "keywords.0.volume"),
        ({"keywords": [{"keyword": "x", "difficulty": 101}]}, "keywords.0.difficulty"),
        ({"keywords": [{"keyword": "x"}], "account_id": "someone-else"}, "account_id"),
    ],
)
def test_invalid_keyword_bodies_get_422_naming_the_field(account, body, field):
    status, response = api("POST", "/v1/planner/keywords/", account.api_key, body)
    assert status == 422
    assert field in [e["field"] for e in response["errors"]]
    assert response["message"].startswith("invalid request:")
    assert list(query_account(Keyword, account.account_id)) == []


def test_malformed_json_is_a_4xx(account):
    status, response = api("POST", "/v1/planner/keywords/", account.api_key, "{not json")
    assert 400 <= status < 500 and "body" in response["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"ids": []}, "ids"),
        ({"ids": [True]}, "ids.0"),
        ({"ids": ["1"]}, "ids.0"),
        ({"ids": [1, 1]}, "duplicates"),
        ({}, "ids"),
    ],
)
def test_auto_cluster_bad_input(account, body, message):
    status, response = api("POST", "/v1/planner/keywords/auto_cluster/", account.api_key, body)
    assert status == 422 and message in response["message"]


def test_auto_cluster_unknown_ids_is_rejected_at_once(account):
    status, response = api("POST", "/v1/planner/keywords/auto_cluster/", account.api_key, {"ids": [424242]})
    assert status == 404
    assert response["message"] == "keywords not found in this account: 424242"


def test_accounts_cannot_see_each_other(stack, account):
    from shared.services.accounts import create_account, create_api_key

    other = create_account("Other agency")
    other_key = create_api_key(other.account_id)
    ids = add_keywords(account.account_id, ["secret keyword one", "secret keyword two"])

    status, listed = api("GET", "/v1/planner/keywords/", other_key)
    assert status == 200 and listed["results"] == []
    # The other account cannot cluster our keywords, even by guessing ids.
    status, response = api("POST", "/v1/planner/keywords/auto_cluster/", other_key, {"ids": ids})
    assert status == 404 and "not found in this account" in response["message"]
    # Nor read our jobs.
    status, started = api("POST", "/v1/planner/keywords/auto_cluster/", account.api_key, {"ids": ids})
    assert status == 202
    stack.wait_idle()
    status, response = api("GET", f"/v1/jobs/{started['task_id']}", other_key)
    assert status == 404


def test_auto_cluster_async_then_job_and_clusters(stack, account):
    ids = add_keywords(account.account_id, ["espresso tamper", "espresso tamper size", "milk frother"])

    status, started = api("POST", "/v1/planner/keywords/auto_cluster/", account.api_key, {"ids": ids})

    assert status == 202 and started["success"] is True and started["task_id"]
    stack.wait_idle()
    status, job = api("GET", f"/v1/jobs/{started['task_id']}", account.api_key)
    assert status == 200
    assert (job["status"], job["phase"], job["progress"]) == ("completed", "DONE", 100)
    assert job["function"] == "auto_cluster" and job["offline"] is True
    assert job["tokens"]["total"] > 0 and job["cost"] == 0.0
    assert job["result"]["keywords_updated"] + len(job["result"]["unassigned_keywords"]) == 3
    status, clusters = api("GET", "/v1/planner/clusters/", account.api_key)
    assert (
        status == 200
        and sum(c["keywords_count"] for c in clusters["results"]) == job["result"]["keywords_updated"]
    )
    cluster = clusters["results"][0]
    status, detail = api("GET", f"/v1/planner/clusters/{cluster['id']}/", account.api_key)
    assert status == 200 and len(detail["keywords"]) == cluster["keywords_count"]
    status, log = api("GET", f"/v1/jobs/{started['task_id']}/log", account.api_key)
    assert status == 200 and log["status"] == "success"
    status, listed = api("GET", "/v1/jobs/", account.api_key)
    assert started["task_id"] in [j["task_id"] for j in listed["results"]]


def test_unknown_route_and_missing_records(account):
    assert api("GET", "/v1/nothing-here", account.api_key)[0] == 404
    assert api("GET", "/v1/jobs/does-not-exist", account.api_key)[0] == 404
    assert api("GET", "/v1/planner/clusters/999999/", account.api_key)[0] == 404


def test_prompts_per_account(account):
    status, default = api("GET", "/v1/settings/prompts/auto_cluster", account.api_key)
    assert status == 200 and default["source"] == "default" and "[IGNY8_KEYWORDS]" in default["prompt_value"]
    prompt = "Cluster these keywords as JSON please:\n[IGNY8_KEYWORDS]"
    status, saved = api("PUT", "/v1/settings/prompts/auto_cluster", account.api_key, {"prompt_value": prompt})
    assert status == 200 and saved["source"] == "account"
    assert api("GET", "/v1/settings/prompts/auto_cluster", account.api_key)[1]["prompt_value"] == prompt
    assert api("DELETE", "/v1/settings/prompts/auto_cluster", account.api_key)[1]["source"] == "default"
    assert api("GET", "/v1/settings/prompts/nope", account.api_key)[0] == 404


def test_a_job_over_the_accounts_credits_is_refused_with_402(stack, account):
    from shared.db.models import Account, Job
    from shared.db.repo import query_account as jobs_of

    ids = add_keywords(account.account_id, [f"budget keyword {i}" for i in range(25)])
    Account(account.account_id).update(actions=[Account.credits.set(2)])

    status, response = api("POST", "/v1/planner/keywords/auto_cluster/", account.api_key, {"ids": ids})

    assert status == 402
    assert response["message"].startswith(
        "not enough credits: this job needs 3 credit(s) and the account has 2 left"
    )
    assert list(jobs_of(Job, account.account_id)) == []
