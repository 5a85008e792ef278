"""The AI layer end to end: the real state machine (or sync mode) on the local stack, against the
fake OpenAI server. One test per case of the issue; every test checks the job, its items, the
AITaskLog and the credits ledger: status, error message, tokens, cost, credits, requests made."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.ai.pricing import cost_of
from shared.db.models import AITaskLog, Cluster, Job, JobItem
from shared.db.repo import get_account, query_account
from shared.engine import accounting
from shared.engine import phases as engine
from shared.engine.accounting import ledger_entries, monthly_spend, record_spend
from shared.engine.engine import run_sync
from shared.engine.store import job_state
from shared.errors import AIProviderTransient, InputInvalid, InsufficientCredits
from shared.services.ai_settings import get_account_ai_settings, save_account_ai_settings
from shared.services.jobs import start_job
from tests.fakes.openai_server import FakeReply
from tests.helpers import add_keywords, run_job, run_job_unchecked

pytestmark = pytest.mark.integration

KEYWORDS = ["cold brew recipe", "how to make cold brew", "espresso machine", "best espresso machine"]
ANSWER = {
    "clusters": [
        {"name": "Cold Brew", "description": "Cold brew at home", "keywords": KEYWORDS[:2]},
        {"name": "Espresso Machines", "description": "Buying one", "keywords": KEYWORDS[2:]},
    ]
}
ASL = json.loads(Path("statemachine/engine.asl.json").read_text())
AI_CALL_RETRIERS = ASL["States"]["ProcessItems"]["ItemProcessor"]["States"]["AiCall"]["Retry"]
#: AI_CALL invocations when every one fails transiently: the first one and the state machine's retries.
TRANSIENT_INVOCATIONS = 1 + next(
    r["MaxAttempts"] for r in AI_CALL_RETRIERS if "AIProviderTransient" in r["ErrorEquals"]
)


@pytest.fixture
def ai_env(fake_openai) -> Iterator[Any]:
    """Change AI environment variables for one test (restored afterwards); clients are re-created."""
    from tests.conftest import _reset_ai_clients

    saved: dict[str, str | None] = {}

    def apply(**values: object) -> None:
        for name, value in values.items():
            saved.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = str(value)
        _reset_ai_clients()

    yield apply
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _reset_ai_clients()


def records(account_id: str, started: Job) -> tuple[Job, list[JobItem], AITaskLog, list[Any]]:
    """The job (fresh, with the execution's status), its items, its AITaskLog and ledger entries."""
    task_id = started.task_id
    job = Job.get(account_id, task_id, consistent_read=True)
    job.execution_status = getattr(started, "execution_status", None)  # type: ignore[attr-defined]
    items = sorted(JobItem.query(f"{account_id}#{task_id}", consistent_read=True), key=lambda i: i.position)
    return job, items, AITaskLog.get(account_id, task_id), ledger_entries(account_id, task_id)


def assert_accounted(job: Job, items: list[JobItem], log: AITaskLog, ledger: list[Any]) -> None:
    """Tokens, cost and credits agree between the job, its items, the AITaskLog and the ledger."""
    tokens = sum(int(i.input_tokens) + int(i.output_tokens) for i in items)
    cost = round(sum(float(i.cost) for i in items), 8)
    credits = sum(int(e.credits) for e in ledger)
    assert job.tokens == tokens == int(log.tokens)
    assert float(job.cost) == pytest.approx(cost) and float(log.cost) == pytest.approx(cost)
    assert int(job.credits) == credits == int(log.credits)
    assert job.usage is not None and job.usage["credits"] == credits
    assert job.usage["input_tokens"] + job.usage["output_tokens"] == tokens
    assert log.result is not None and log.result["usage"] == job.usage


_KEYWORD_IDS: dict[str, list[int]] = {}


def cluster_job(stack: Any, account_id: str, **kwargs: Any) -> Job:
    """Cluster KEYWORDS (created once per account) through the state machine."""
    if account_id not in _KEYWORD_IDS:
        _KEYWORD_IDS[account_id] = add_keywords(account_id, KEYWORDS)
    return run_job(stack, account_id, "auto_cluster", {"ids": _KEYWORD_IDS[account_id], **kwargs})


# ---------------------------------------------------------------- rate limits, server errors, timeouts
def test_429_then_success_honours_retry_after_inside_the_call(stack, account, fake_openai, ai_env):
    ai_env(AI_MAX_RETRIES=2)
    fake_openai.queue(
        FakeReply(status=429, content="Rate limit reached for gpt-4o-mini", headers={"retry-after-ms": "20"}),
        FakeReply(content=json.dumps(ANSWER), prompt_tokens=300, completion_tokens=80),
    )

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "completed", job.error
    assert len(fake_openai.requests) == 2
    assert (job.input_tokens, job.output_tokens) == (300, 80)  # the 429 carried no usage
    assert items[0].usage[0]["attempts"] == 2
    assert any("attempt 1: rate limited by the provider (429)" in s["message"] for s in log.response_steps)
    assert len(ledger) == 1 and job.credits == 1
    assert_accounted(job, items, log, ledger)


def test_429_then_success_through_the_state_machine_retry(stack, account, fake_openai):
    # AI_MAX_RETRIES=0 (the fixture): the 429 ends the invocation and the AiCall Retry runs it again.
    fake_openai.queue(
        FakeReply(status=429, content="Rate limit reached", headers={"retry-after": "0"}),
        FakeReply(content=json.dumps(ANSWER)),
    )

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.execution_status == "SUCCEEDED"
    assert job.status == "completed", job.error
    assert len(fake_openai.requests) == 2
    assert_accounted(job, items, log, ledger)


def test_5xx_until_retries_run_out_fails_with_the_provider_reason(stack, account, fake_openai, ai_env):
    ai_env(AI_MAX_RETRIES=1)
    fake_openai.responder = lambda request: FakeReply(
        status=503, content="The engine is currently overloaded", headers={"retry-after-ms": "1"}
    )
    before = int(get_account(account.account_id).credits)

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.execution_status == "FAILED" and job.status == "failed"
    assert job.error_type == "AIProviderTransient" and job.phase == "AI_CALL"
    assert job.error == "provider error 503: The engine is currently overloaded (after 2 attempt(s))"
    assert log.status == "error" and log.error == job.error
    # 2 attempts in each AI_CALL invocation, and a bounded number of invocations.
    assert len(fake_openai.requests) == 2 * TRANSIENT_INVOCATIONS
    assert job.tokens == 0 and float(job.cost) == 0 and ledger == []
    assert int(get_account(account.account_id).credits) == before
    assert_accounted(job, items, log, ledger)


def test_a_timeout_cannot_hang_the_job(stack, account, fake_openai, ai_env):
    ai_env(AI_TIMEOUT_SECONDS=0.3)
    fake_openai.responder = lambda request: FakeReply(content=json.dumps(ANSWER), delay=1.0)
    started = time.monotonic()

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert time.monotonic() - started < 20
    assert job.status == "failed" and job.error_type == "AIProviderTransient"
    assert job.error == "the provider did not answer within 0.3s (timeout) (after 1 attempt(s))"
    assert len(fake_openai.requests) == TRANSIENT_INVOCATIONS
    assert ledger == [] and log.status == "error"
    assert_accounted(job, items, log, ledger)


# ---------------------------------------------------------------- answers: JSON shapes
@pytest.mark.parametrize(
    "content",
    [
        "```json\n" + json.dumps(ANSWER, indent=2) + "\n```",
        "Here are the clusters you asked for:\n\n" + json.dumps(ANSWER) + "\n\nHope this helps!",
    ],
    ids=["fenced-json", "prose-around-json"],
)
def test_fenced_or_prose_wrapped_json_is_saved(stack, account, fake_openai, content):
    fake_openai.queue(FakeReply(content=content, prompt_tokens=210, completion_tokens=90))

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "completed", job.error
    assert {c.name for c in query_account(Cluster, account.account_id)} == {"Cold Brew", "Espresso Machines"}
    assert any(s["stepName"] == "VALIDATE" for s in log.response_steps)
    assert (job.input_tokens, job.output_tokens, job.credits) == (210, 90, 1)
    assert_accounted(job, items, log, ledger)


def test_malformed_json_fails_and_saves_nothing(stack, account, fake_openai):
    fake_openai.queue(
        FakeReply(content='{"clusters": [{"name": "Cold Brew", "keywords": ["cold brew recipe"')
    )

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "failed" and job.phase == "PARSE" and job.error_type == "AIResponseInvalid"
    assert job.error == "the clustering answer contains no JSON"
    assert list(query_account(Cluster, account.account_id)) == []
    assert job.tokens == 150 and ledger == []  # the answer's tokens are counted, nothing is charged
    assert_accounted(job, items, log, ledger)


def test_schema_invalid_answer_fails_before_save(stack, account, fake_openai):
    fake_openai.queue_json({"clusters": [{"title": "Cold Brew", "keywords": KEYWORDS[:2]}]})

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "failed" and job.phase == "PARSE" and job.error_type == "AIResponseInvalid"
    assert job.error == (
        "the clustering answer does not match the expected schema: clusters.0.name: Field required; "
        "nothing was saved"
    )
    assert items[0].status == "failed" and items[0].result is None
    assert list(query_account(Cluster, account.account_id)) == [] and ledger == []
    assert_accounted(job, items, log, ledger)


# ---------------------------------------------------------------- refusals and cut-off answers
def test_a_refusal_is_never_saved(stack, account, fake_openai):
    fake_openai.queue(FakeReply(content=None, refusal="I'm sorry, I can't help with that request."))

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "failed" and job.phase == "AI_CALL" and job.error_type == "AIResponseRefused"
    assert (
        job.error
        == "the model refused to answer: I'm sorry, I can't help with that request.; nothing was saved"
    )
    assert len(fake_openai.requests) == 1  # not retried
    assert items[0].response["refusal"] and items[0].status == "failed"
    assert job.tokens == 150 and ledger == [] and list(query_account(Cluster, account.account_id)) == []
    assert_accounted(job, items, log, ledger)


def test_finish_reason_length_retries_once_with_a_larger_budget(stack, account, fake_openai):
    fake_openai.queue(
        FakeReply(content='{"clusters": [{"name": "Cold', finish_reason="length", completion_tokens=8000),
        FakeReply(content=json.dumps(ANSWER), prompt_tokens=100, completion_tokens=400),
    )

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "completed", job.error
    first, second = fake_openai.requests
    assert (first.body["max_tokens"], second.body["max_tokens"]) == (8000, 16000)
    assert [u["phase"] for u in items[0].usage] == ["AI_CALL", "AI_CALL_RETRY"]
    assert (job.input_tokens, job.output_tokens) == (200, 8400)  # both answers are paid for
    assert set(job.usage["phases"]) == {"AI_CALL", "AI_CALL_RETRY"}
    assert job.usage["phases"]["AI_CALL"]["output_tokens"] == 8000
    assert float(job.cost) == pytest.approx(
        cost_of("gpt-4o-mini", 100, 8000) + cost_of("gpt-4o-mini", 100, 400)
    )
    assert_accounted(job, items, log, ledger)


def test_finish_reason_length_at_the_models_limit_fails_clearly(stack, account, fake_openai):
    save_account_ai_settings(account.account_id, {"functions": {"auto_cluster": {"max_tokens": 16384}}})
    fake_openai.queue(FakeReply(content='{"clusters": [', finish_reason="length", completion_tokens=16384))

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "failed" and job.error_type == "AIResponseTruncated" and job.phase == "AI_CALL"
    assert job.error.startswith(
        "the answer was cut off at the token limit (finish_reason 'length', max_tokens=16384"
    )
    assert "nothing was saved" in job.error
    assert len(fake_openai.requests) == 1 and fake_openai.requests[0].body["max_tokens"] == 16384
    assert list(query_account(Cluster, account.account_id)) == [] and ledger == []
    assert_accounted(job, items, log, ledger)


# ---------------------------------------------------------------- usage, cost, credits
def test_usage_is_counted_per_phase_and_priced_per_model(stack, account, fake_openai):
    save_account_ai_settings(account.account_id, {"model": "gpt-4.1-mini", "temperature": 0.1})
    fake_openai.queue_json(ANSWER, prompt_tokens=1234, completion_tokens=567)
    spent_before = monthly_spend(account.account_id)

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "completed", job.error
    (request,) = fake_openai.requests
    assert request.body["model"] == "gpt-4.1-mini" and request.body["temperature"] == 0.1
    expected = cost_of("gpt-4.1-mini", 1234, 567)
    assert (job.input_tokens, job.output_tokens, float(job.cost)) == (1234, 567, expected)
    assert (items[0].input_tokens, items[0].output_tokens, float(items[0].cost)) == (1234, 567, expected)
    assert job.usage["phases"] == {
        "AI_CALL": {
            "input_tokens": 1234,
            "output_tokens": 567,
            "total_tokens": 1801,
            "cost": expected,
            "calls": 1,
        }
    }
    assert list(job.usage["models"]) == ["gpt-4.1-mini"]
    assert (log.tokens, float(log.cost), log.credits) == (1801, expected, 1)
    spent = monthly_spend(account.account_id)
    assert spent is not None and spent_before is None
    assert float(spent.cost) == pytest.approx(expected) and int(spent.calls) == 1 and int(spent.credits) == 1
    assert_accounted(job, items, log, ledger)


def test_credits_are_charged_exactly_once_when_save_is_retried(stack, account, fake_openai, monkeypatch):
    ids = add_keywords(account.account_id, [f"coffee keyword {n}" for n in range(15)])
    fake_openai.queue_json(
        {"clusters": [{"name": "Coffee", "keywords": [f"coffee keyword {n}" for n in range(15)]}]}
    )
    outcomes: list[bool] = []
    real_charge = accounting.charge

    def charge_then_crash(*args: Any) -> bool:
        charged = real_charge(*args)
        outcomes.append(charged)
        if len(outcomes) == 1:
            raise AIProviderTransient("simulated crash right after the charge")
        return charged

    monkeypatch.setattr(accounting, "charge", charge_then_crash)
    before = int(get_account(account.account_id).credits)

    job = run_job(stack, account.account_id, "auto_cluster", {"ids": ids})

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "completed", job.error
    assert outcomes == [True, False]  # SAVE ran twice; the second found its ledger entry
    assert [(e.entry_id, int(e.credits)) for e in ledger] == [(f"{job.task_id}#all", 2)]
    assert int(get_account(account.account_id).credits) == before - 2
    assert (job.credits, log.credits, job.items_done) == (2, 2, 1)
    assert int(monthly_spend(account.account_id).credits) == 2
    # A phase run again after the job is done changes nothing.
    engine.run_save({**job_state(job), "item": "all"})
    assert int(get_account(account.account_id).credits) == before - 2
    assert_accounted(job, items, log, ledger)


def test_an_offline_run_is_charged_credits_at_no_cost(stack, account, fake_openai, ai_env):
    ai_env(OPENAI_API_KEY=None)
    before = int(get_account(account.account_id).credits)

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "completed" and job.offline and job.model == "igny8-local-offline"
    assert fake_openai.requests == []
    assert float(job.cost) == 0 and job.tokens > 0 and job.credits == 1
    assert int(get_account(account.account_id).credits) == before - 1
    assert_accounted(job, items, log, ledger)


# ---------------------------------------------------------------- budgets
def test_no_credits_left_refuses_the_job_before_any_request(stack, fake_openai):
    from shared.services.accounts import create_account

    broke = create_account("Broke agency", credits=0)
    ids = add_keywords(broke.account_id, KEYWORDS)
    message = (
        "not enough credits: this job needs 1 credit(s) and the account has 0 left. "
        "Add credits to the account or select fewer keywords per job."
    )
    # The API refuses at once (402), storing nothing ...
    with pytest.raises(InsufficientCredits) as refused:
        start_job(broke.account_id, "auto_cluster", {"ids": ids})
    assert str(refused.value) == message and list(query_account(Job, broke.account_id)) == []
    # ... and INIT refuses too, for a job started any other way.
    job = run_job_unchecked(stack, broke.account_id, "auto_cluster", {"ids": ids})

    job, items, log, ledger = records(broke.account_id, job)
    assert fake_openai.requests == []
    assert job.status == "failed" and job.phase == "INIT" and job.error_type == "InsufficientCredits"
    assert job.error == message
    assert items == [] and ledger == [] and log.status == "error" and log.credits == 0
    assert_accounted(job, items, log, ledger)


def test_a_spent_monthly_budget_refuses_the_job_before_any_request(stack, fake_openai):
    from shared.services.accounts import create_account

    capped = create_account("Capped agency", credits=1000, monthly_budget_usd=5)
    record_spend(capped.account_id, 5.0, calls=40)
    ids = add_keywords(capped.account_id, KEYWORDS)
    with pytest.raises(InsufficientCredits, match=r"the monthly AI budget of \$5.00 is used up"):
        start_job(capped.account_id, "auto_cluster", {"ids": ids})

    job = run_job_unchecked(stack, capped.account_id, "auto_cluster", {"ids": ids})

    job, items, log, ledger = records(capped.account_id, job)
    assert fake_openai.requests == []
    assert job.status == "failed" and job.error_type == "InsufficientCredits"
    assert job.error.startswith("the monthly AI budget of $5.00 is used up ($5.0000 spent in ")
    assert items == [] and ledger == []


# ---------------------------------------------------------------- structured outputs, models, endpoints
def test_structured_outputs_send_the_schema_and_json_mode_is_the_fallback(stack, account, fake_openai):
    fake_openai.queue_json(ANSWER)
    job = cluster_job(stack, account.account_id)
    assert job.status == "completed", job.error
    schema_format = fake_openai.requests[0].body["response_format"]
    assert schema_format["type"] == "json_schema"
    assert schema_format["json_schema"]["name"] == "clustering_response"
    assert "clusters" in schema_format["json_schema"]["schema"]["properties"]

    save_account_ai_settings(account.account_id, {"model": "gpt-3.5-turbo", "max_tokens": 4000})
    fake_openai.reset()
    fake_openai.queue_json(ANSWER)
    job = cluster_job(stack, account.account_id)
    assert job.status == "completed", job.error
    assert fake_openai.requests[0].body["response_format"] == {"type": "json_object"}
    assert fake_openai.requests[0].body["model"] == "gpt-3.5-turbo"


def test_an_unsupported_model_in_the_payload_is_refused_before_any_request(stack, account, fake_openai):
    job = cluster_job(stack, account.account_id, model="gpt-2")

    assert job.status == "failed" and job.error_type == "InputInvalid" and job.phase == "INIT"
    assert job.error.startswith("model 'gpt-2' is not supported; choose one of: gpt-4.1")
    assert fake_openai.requests == []


def test_an_account_endpoint_gets_its_own_model_and_never_the_deployment_key(
    stack, account, fake_openai, ai_env
):
    ai_env(AI_ALLOW_LOOPBACK="true")  # the account's endpoint is the fake server on 127.0.0.1
    view = save_account_ai_settings(
        account.account_id,
        {"base_url": fake_openai.base_url, "allowed_models": ["llama3.1"], "model": "llama3.1"},
    )
    assert view["model"] == "llama3.1" and view["api_key_set"] is False
    fake_openai.queue_json(ANSWER, model="llama3.1")

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "completed", job.error
    (request,) = fake_openai.requests
    assert request.body["model"] == "llama3.1"
    assert request.body["response_format"] == {"type": "json_object"}  # no json_schema for unknown models
    assert request.headers["authorization"] == "Bearer no-key-configured"
    assert float(job.cost) == 0 and job.credits == 1 and job.model == "llama3.1"
    assert_accounted(job, items, log, ledger)


def test_account_ai_settings_store_the_key_but_never_return_it(stack, account, fake_openai, ai_env):
    ai_env(AI_ALLOW_LOOPBACK="true")  # the account's endpoint is the fake server on 127.0.0.1
    key = "sk-account-own-key-5a5a5a5a5a"
    view = save_account_ai_settings(
        account.account_id, {"base_url": fake_openai.base_url, "api_key": key, "model": "gpt-4o"}
    )
    assert view["api_key_set"] is True and key not in json.dumps(view)
    assert key not in json.dumps(get_account_ai_settings(account.account_id))
    with pytest.raises(InputInvalid, match="temperature must be between 0 and 2"):
        save_account_ai_settings(account.account_id, {"temperature": 3})
    fake_openai.queue_json(ANSWER)

    job = cluster_job(stack, account.account_id)

    assert job.status == "completed", job.error
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {key}"


# ---------------------------------------------------------------- secrets
def _dump(*rows: Any) -> str:
    return json.dumps([row.attribute_values for row in rows], default=str)


def test_the_key_appears_in_no_record_log_or_error(stack, account, fake_openai, ai_env, caplog, capfd):
    key = "sk-leakcheck-7f3a9c2e5b1d4e6f"
    ai_env(OPENAI_API_KEY=key)
    caplog.set_level("DEBUG")
    fake_openai.responder = lambda request: FakeReply(
        status=401,
        content=f"Incorrect API key provided: {key}. You sent 'Authorization: Bearer {key}'.",
    )

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "failed" and job.error_type == "AIProviderError"
    assert job.error.startswith("the provider refused the request (401): Incorrect API key provided:")
    assert fake_openai.requests[0].headers["authorization"] == f"Bearer {key}"  # it was used...
    stored = _dump(job, *items, log, *ledger)
    for secret in (key, key[3:], key[-12:]):  # ...but is nowhere: not whole, not in part
        assert secret not in stored
        assert secret not in caplog.text
        assert secret not in "".join(capfd.readouterr())


def test_the_key_is_read_from_secrets_manager_and_cached(stack, account, fake_openai, ai_env):
    secrets = stack.client("secretsmanager")
    name = f"igny8-test/openai-{uuid.uuid4().hex[:8]}"
    secrets.create_secret(Name=name, SecretString=json.dumps({"api_key": "sk-from-secrets-manager-1111"}))
    ai_env(OPENAI_API_KEY=None, OPENAI_SECRET_NAME=name)
    fake_openai.queue_json(ANSWER)

    job = cluster_job(stack, account.account_id)

    assert job.status == "completed", job.error
    assert fake_openai.requests[0].headers["authorization"] == "Bearer sk-from-secrets-manager-1111"
    # Cached: a new value is picked up only after max_age (powertools parameters cache).
    secrets.put_secret_value(SecretId=name, SecretString="sk-rotated-key-2222")
    fake_openai.queue_json(ANSWER)
    job = cluster_job(stack, account.account_id)
    assert job.status == "completed", job.error
    assert fake_openai.requests[1].headers["authorization"] == "Bearer sk-from-secrets-manager-1111"


def test_the_key_is_read_from_ssm_parameter_store(stack, account, fake_openai, ai_env):
    name = f"/igny8-test/openai-{uuid.uuid4().hex[:8]}"
    stack.client("ssm").put_parameter(Name=name, Value="sk-from-ssm-parameter-3333", Type="SecureString")
    ai_env(OPENAI_API_KEY=None, OPENAI_PARAMETER_NAME=name)
    fake_openai.queue_json(ANSWER)

    job = cluster_job(stack, account.account_id)

    assert job.status == "completed", job.error
    assert fake_openai.requests[0].headers["authorization"] == "Bearer sk-from-ssm-parameter-3333"


# ---------------------------------------------------------------- per-account concurrency
def test_calls_in_flight_are_bounded_per_account(stack, account, fake_openai):
    from shared.ai import concurrency

    save_account_ai_settings(account.account_id, {"max_concurrency": 1})
    held = concurrency.acquire(account.account_id)  # another job's call holds the only slot

    job = cluster_job(stack, account.account_id)

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "failed" and job.error_type == "AIConcurrencyLimited"
    assert "1 AI call(s) in flight (limit 1)" in job.error
    assert fake_openai.requests == []  # no retry storm reached the provider

    concurrency.release(account.account_id, held)
    fake_openai.queue_json(ANSWER)
    job = cluster_job(stack, account.account_id)
    assert job.status == "completed", job.error
    assert concurrency.in_flight(account.account_id) == 0


def test_sync_mode_records_the_same_accounting(stack, account, fake_openai):
    ids = add_keywords(account.account_id, KEYWORDS)
    fake_openai.queue_json(ANSWER, prompt_tokens=111, completion_tokens=22)

    job = run_sync(account.account_id, "auto_cluster", {"ids": ids})

    job, items, log, ledger = records(account.account_id, job)
    assert job.status == "completed" and (job.input_tokens, job.output_tokens, job.credits) == (111, 22, 1)
    assert_accounted(job, items, log, ledger)
