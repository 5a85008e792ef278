"""GET /v1/account/usage: credits, this month's spend against the budget, tokens and cost by
function and by model, for the caller's account only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared.db.base import iso_now, utcnow
from shared.db.models import Account, Job, MonthlySpend
from shared.engine.accounting import monthly_spend, spend_key
from shared.engine.engine import create_job
from shared.services.accounts import create_account, create_api_key
from tests.fakes.openai_server import FakeReply
from tests.helpers import add_keywords, api, run_job

pytestmark = pytest.mark.integration


def _cluster(stack, account, fake_openai, keywords, model=None, **usage):
    ids = add_keywords(account.account_id, keywords)
    fake_openai.queue_json({"clusters": [{"name": keywords[0].title(), "keywords": keywords}]}, **usage)
    payload = {"ids": ids, **({"model": model} if model else {})}
    return run_job(stack, account.account_id, "auto_cluster", payload)


def test_usage_adds_up_this_months_jobs_by_function_and_model(stack, account, fake_openai):
    Account(account.account_id).update(actions=[Account.monthly_budget_usd.set(5)])
    first = _cluster(stack, account, fake_openai, ["v60 dripper"], prompt_tokens=1000, completion_tokens=200)
    second = _cluster(
        stack,
        account,
        fake_openai,
        ["aeropress", "aeropress go"],
        "gpt-4o",
        prompt_tokens=2000,
        completion_tokens=500,
    )
    ids = add_keywords(account.account_id, ["bad answer"])
    fake_openai.queue(FakeReply(content="not json at all", prompt_tokens=300, completion_tokens=30))
    failed = run_job(stack, account.account_id, "auto_cluster", {"ids": ids})
    # Accepted, not started yet: its estimated credits are held.
    pending = create_job(
        account.account_id,
        "auto_cluster",
        {"ids": add_keywords(account.account_id, ["kalita wave"])},
        reserve=True,
    )
    # Last month's job and spend do not count this month.
    last_month = (utcnow().replace(day=1) - timedelta(days=3)).isoformat().replace("+00:00", "Z")
    Job(account.account_id, "old-job", function_name="generate_ideas", status="completed",
        created_at=last_month, input_tokens=9999, output_tokens=9999, cost=9.0).save()  # fmt: skip
    MonthlySpend(account.account_id, spend_key(last_month[:7]), cost=9.0, calls=1).save()
    assert (first.status, second.status, failed.status) == ("completed", "completed", "failed")

    status, usage = api("GET", "/v1/account/usage", account.api_key)

    assert status == 200, usage
    assert usage["month"] == iso_now()[:7] and usage["account_id"] == account.account_id
    balance = int(Account.get(account.account_id).credits)
    assert usage["credits"] == {"available": balance, "reserved": int(pending.reserved_credits)}
    assert usage["credits"]["reserved"] == 1 and balance == 100_000 - 2 - 1  # two charged, one held
    spend = monthly_spend(account.account_id)
    jobs = [first, second, failed]
    total_cost = sum(float(j.cost) for j in jobs)
    assert usage["spend"]["cost_usd"] == pytest.approx(float(spend.cost)) == pytest.approx(total_cost)
    assert usage["spend"]["credits"] == 2 and usage["spend"]["calls"] == 3
    assert usage["spend"]["budget_usd"] == 5
    assert usage["spend"]["remaining_usd"] == pytest.approx(5 - total_cost)
    assert usage["spend"]["budget_used_percent"] == pytest.approx(100 * total_cost / 5, abs=0.01)
    assert usage["jobs"] == {"total": 4, "completed": 2, "failed": 1, "running": 1}
    assert list(usage["by_function"]) == ["auto_cluster"]  # last month's generate_ideas is out
    cluster = usage["by_function"]["auto_cluster"]
    assert cluster["jobs"] == 4 and cluster["credits"] == 2
    assert (cluster["input_tokens"], cluster["output_tokens"]) == (3300, 730)
    assert cluster["total_tokens"] == 4030 and cluster["cost_usd"] == pytest.approx(total_cost)
    models = usage["by_model"]
    assert set(models) == {"gpt-4o", first.model}
    assert (models["gpt-4o"]["input_tokens"], models["gpt-4o"]["output_tokens"]) == (2000, 500)
    assert models["gpt-4o"]["calls"] == 1 and models["gpt-4o"]["cost_usd"] == pytest.approx(
        float(second.cost)
    )
    assert (models[first.model]["input_tokens"], models[first.model]["calls"]) == (1300, 2)
    assert float(second.cost) > float(first.cost) > 0
    assert usage["truncated"] is False


def test_usage_of_a_new_account_is_empty_and_another_accounts_jobs_never_count(stack, account, fake_openai):
    other = create_account("Other agency", credits=50)
    other_key = create_api_key(other.account_id)
    _cluster(stack, account, fake_openai, ["turkish coffee"], prompt_tokens=500, completion_tokens=50)

    status, usage = api("GET", "/v1/account/usage", other_key)

    assert status == 200
    assert usage["credits"] == {"available": 50, "reserved": 0}
    assert usage["spend"] == {
        "cost_usd": 0,
        "credits": 0,
        "calls": 0,
        "budget_usd": None,
        "remaining_usd": None,
        "budget_used_percent": None,
    }
    assert usage["jobs"] == {"total": 0, "completed": 0, "failed": 0, "running": 0}
    assert usage["by_function"] == {} and usage["by_model"] == {}
    status, mine = api("GET", "/v1/account/usage", account.api_key)
    assert mine["by_function"]["auto_cluster"]["input_tokens"] == 500


def test_usage_needs_an_api_key(stack):
    status, body = api("GET", "/v1/account/usage", None)
    assert status == 401 and body["error"] == "Unauthorized"
