"""AICore and the OpenAI provider against the fake OpenAI server: request shape, retries, time bounds,
usage, key handling. No AWS here (AICore without an account takes no concurrency slot)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from shared.ai.ai_core import NO_KEY, AICore
from shared.ai.model_settings import (
    ModelConfig,
    call_budget_seconds,
    larger_max_tokens,
    supports_structured_outputs,
)
from shared.ai.pricing import cost_of
from shared.ai.providers import redact
from shared.ai.providers.openai_provider import (
    _CLIENTS,
    BACKOFF_CAP_SECONDS,
    OpenAIProvider,
    backoff_seconds,
    retry_after_seconds,
)
from shared.config import reset_settings
from shared.errors import AIProviderError, AIProviderTransient, InputInvalid
from shared.functions.auto_cluster.schema import ClusteringResponse
from shared.functions.generate_content.schema import ArticleResponse
from shared.services.ai_settings import redacted_ai_settings, validate_account_ai_settings
from tests.fakes.openai_server import FakeReply

KEY = "sk-unit-test-key-abcdef123456"
CLUSTERS = {"clusters": [{"name": "Cold Brew", "description": "x", "keywords": ["cold brew recipe"]}]}
CONFIG = ModelConfig(model="gpt-4o-mini", max_tokens=1000, temperature=0.3, response_format="json_object")


@pytest.fixture
def server(_fake_openai_server):
    _fake_openai_server.reset()
    yield _fake_openai_server
    _fake_openai_server.reset()


@pytest.fixture
def env(monkeypatch):
    """Set AI environment variables for one test; settings and SDK clients are re-read."""

    def apply(**values: object) -> None:
        for name, value in values.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, str(value))
        reset_settings()
        _CLIENTS.clear()

    monkeypatch.setenv("TABLE_PREFIX", os.environ.get("TABLE_PREFIX") or "unit-tests")
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_SECRET_NAME", "OPENAI_PARAMETER_NAME"):
        monkeypatch.delenv(name, raising=False)
    apply(AI_MAX_RETRIES=2, AI_TIMEOUT_SECONDS=5)
    yield apply
    reset_settings()
    _CLIENTS.clear()


def make_provider(server, waits: list[float] | None = None) -> OpenAIProvider:
    sleeps = waits if waits is not None else []
    return OpenAIProvider(KEY, server.base_url, sleep=sleeps.append)


# ---------------------------------------------------------------- request shape
def test_structured_output_models_get_the_json_schema(server, env):
    server.queue_json(CLUSTERS)
    result = make_provider(server).complete("Cluster these. Respond in JSON.", CONFIG, ClusteringResponse)

    assert json.loads(result.content) == CLUSTERS
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "gpt-4o-mini" and request.body["max_tokens"] == 1000
    assert request.body["temperature"] == 0.3
    response_format = request.body["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "clustering_response"
    assert response_format["json_schema"]["schema"] == ClusteringResponse.model_json_schema()


def test_json_mode_for_other_models_and_when_disabled():
    provider = OpenAIProvider(KEY, "http://127.0.0.1:9/v1")
    legacy = ModelConfig("gpt-3.5-turbo", 1000, 0.3, "json_object")
    disabled = ModelConfig("gpt-4o-mini", 1000, 0.3, "json_object", structured_outputs=False)
    custom = ModelConfig("llama3.1", 1000, 0.3, "json_object", base_url="http://127.0.0.1:11434/v1")
    forced = ModelConfig("llama3.1", 1000, 0.3, "json_object", structured_outputs=True)
    for config in (legacy, disabled, custom):
        assert provider.request_args("p", config, ClusteringResponse)["response_format"] == {
            "type": "json_object"
        }
    assert provider.request_args("p", forced, ArticleResponse)["response_format"]["type"] == "json_schema"
    assert "response_format" not in provider.request_args("p", ModelConfig("gpt-4o", 10, 0.1, None))
    assert all(
        supports_structured_outputs(m) for m in ("gpt-4o", "gpt-4.1-mini", "gpt-5-nano", "o3", "o4-mini")
    )
    assert not supports_structured_outputs("gpt-3.5-turbo")


def test_reasoning_models_get_max_completion_tokens_and_no_temperature():
    args = OpenAIProvider(KEY, "http://127.0.0.1:9/v1").request_args(
        "p", ModelConfig("o4-mini", 5000, 0.7, None)
    )
    assert args["max_completion_tokens"] == 5000 and "max_tokens" not in args and "temperature" not in args


# ---------------------------------------------------------------- rate limits, server errors, time
def test_429_then_success_honours_retry_after(server, env):
    server.queue(
        FakeReply(status=429, content="Rate limit reached", headers={"retry-after-ms": "250"}),
        FakeReply(content=json.dumps(CLUSTERS), prompt_tokens=40, completion_tokens=12),
    )
    waits: list[float] = []
    result = make_provider(server, waits).complete("p", CONFIG)

    assert waits == [0.25]
    assert len(server.requests) == 2 and result.attempts == 2
    assert (result.input_tokens, result.output_tokens) == (40, 12)


def test_retry_after_in_seconds_and_as_a_date():
    assert retry_after_seconds({"retry-after": "0"}) == 0.0
    assert retry_after_seconds({"retry-after": "2.5"}) == 2.5
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # in the past
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_backoff_is_exponential_with_full_jitter(server, env):
    for attempt in range(1, 8):
        for _ in range(20):
            assert 0 <= backoff_seconds(attempt) <= min(BACKOFF_CAP_SECONDS, 0.5 * 2 ** (attempt - 1))
    server.queue(FakeReply(status=503), FakeReply(status=500), FakeReply(content=json.dumps(CLUSTERS)))
    waits: list[float] = []
    make_provider(server, waits).complete("p", CONFIG)
    assert len(waits) == 2 and 0 <= waits[0] <= 0.5 and 0 <= waits[1] <= 1.0


def test_5xx_until_the_attempts_run_out(server, env):
    server.responder = lambda request: FakeReply(status=502, content="upstream overloaded")
    with pytest.raises(AIProviderTransient) as error:
        make_provider(server).complete("p", CONFIG)
    assert len(server.requests) == 3  # AI_MAX_RETRIES=2 -> 3 attempts
    assert str(error.value) == "provider error 502: upstream overloaded (after 3 attempt(s))"


def test_a_wait_longer_than_the_time_budget_is_left_to_the_state_machine(server, env):
    server.queue(FakeReply(status=429, content="slow down", headers={"retry-after": "600"}))
    waits: list[float] = []
    with pytest.raises(AIProviderTransient, match="does not fit in this call's time budget"):
        make_provider(server, waits).complete("p", CONFIG)
    assert waits == [] and len(server.requests) == 1


def test_a_timeout_is_retried_then_reported(server, env):
    env(AI_TIMEOUT_SECONDS=0.3, AI_MAX_RETRIES=1)
    server.responder = lambda request: FakeReply(content=json.dumps(CLUSTERS), delay=1.5)
    started = time.monotonic()
    with pytest.raises(AIProviderTransient) as error:
        make_provider(server).complete("p", CONFIG)
    assert time.monotonic() - started < 3
    assert "did not answer within 0.3s (timeout)" in str(error.value)
    assert len(server.requests) == 2


def test_the_call_deadline_caps_every_attempt(server, env):
    env(AI_TIMEOUT_SECONDS=30, AI_MAX_RETRIES=2)
    server.responder = lambda request: FakeReply(content=json.dumps(CLUSTERS), delay=4)
    started = time.monotonic()
    with pytest.raises(AIProviderTransient, match=r"within 1\.\d+s \(timeout\).*time budget"):
        make_provider(server).complete("p", CONFIG, deadline=time.monotonic() + 1.5)
    assert time.monotonic() - started < 3
    assert len(server.requests) == 1


def test_other_4xx_fail_at_once_and_never_show_the_key(server, env):
    server.queue(FakeReply(status=401, content=f"Incorrect API key provided: {KEY}. Header: Bearer {KEY}"))
    with pytest.raises(AIProviderError) as error:
        make_provider(server).complete("p", CONFIG)
    message = str(error.value)
    assert len(server.requests) == 1 and message.startswith("the provider refused the request (401)")
    assert KEY not in message and "abcdef123456" not in message


def test_insufficient_quota_is_not_retried(server, env):
    server.queue(
        FakeReply(
            status=429,
            body={"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}},
        )
    )
    with pytest.raises(AIProviderError, match="429 insufficient_quota"):
        make_provider(server).complete("p", CONFIG)
    assert len(server.requests) == 1


# ---------------------------------------------------------------- AICore
def test_usage_and_cost_with_cached_tokens(server, env):
    body = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "{}"}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 2000,
            "completion_tokens": 300,
            "total_tokens": 2300,
            "prompt_tokens_details": {"cached_tokens": 1024},
        },
    }
    server.queue(FakeReply(body=body))
    env(AI_ALLOW_LOOPBACK="true")  # the account's endpoint is the fake server on 127.0.0.1
    config = ModelConfig("gpt-4o-mini", 1000, 0.3, "json_object", base_url=server.base_url, api_key=KEY)
    result = AICore().run_ai_request("p", config, "auto_cluster")

    assert (result.input_tokens, result.output_tokens, result.cached_input_tokens) == (2000, 300, 1024)
    assert result.model == "gpt-4o-mini-2024-07-18"
    assert (
        result.cost
        == cost_of("gpt-4o-mini", 2000, 300, 1024)
        == round((976 * 0.15 + 1024 * 0.075 + 300 * 0.60) / 1e6, 8)
    )
    record = result.usage_record("AI_CALL")
    assert record["phase"] == "AI_CALL" and record["cost"] == result.cost and record["input_tokens"] == 2000


def test_credentials_never_send_the_deployment_key_to_an_account_endpoint(env):
    env(OPENAI_API_KEY="sk-deployment-key-123456")
    own = ModelConfig("llama3.1", 100, 0.1, None, base_url="http://127.0.0.1:11434/v1")
    assert AICore.provider_credentials(own) == (NO_KEY, "http://127.0.0.1:11434/v1")
    with_key = ModelConfig("gpt-4o", 100, 0.1, None, api_key="sk-account-key-999999")
    assert AICore.provider_credentials(with_key) == ("sk-account-key-999999", None)
    assert AICore.provider_credentials(CONFIG) == ("sk-deployment-key-123456", None)
    env(OPENAI_API_KEY=None)
    assert AICore.provider_credentials(CONFIG) == (None, None)


def test_offline_provider_when_no_key(env):
    result = AICore().run_ai_request("Cluster these", CONFIG, "auto_cluster", offline_answer=lambda: CLUSTERS)
    assert result.offline and result.provider == "local" and result.cost == 0
    assert json.loads(result.content) == CLUSTERS and result.input_tokens > 0
    with pytest.raises(AIProviderError, match="no offline mode"):
        AICore().run_ai_request("p", CONFIG, "auto_cluster")


def test_redact_removes_keys_in_any_shape():
    text = f"key {KEY} masked sk-unit-****3456 header Authorization: Bearer abcdefghijklmnop"
    cleaned = redact(text, KEY)
    assert KEY not in cleaned and "****3456" not in cleaned and "abcdefghijklmnop" not in cleaned
    assert redact(None) == "" and redact("nothing secret") == "nothing secret"


# ---------------------------------------------------------------- time bounds, as deployed
def test_attempts_times_timeout_fit_the_budget_the_lambda_and_the_state(env):
    """SDK timeout x attempts (+ waits) <= the call budget < the Lambda timeout < the state timeout."""
    from local_stack.template import load_template
    from shared.ai.concurrency import lease_seconds

    template = load_template()
    parameters = template["Parameters"]
    timeout = float(parameters["AiTimeoutSeconds"]["Default"])
    retries = int(parameters["AiMaxRetries"]["Default"])
    budget = float(parameters.get("AiCallBudgetSeconds", {}).get("Default", call_budget_seconds()))
    lambda_timeout = int(template["Resources"]["AiCallFunction"]["Properties"]["Timeout"])
    asl = json.loads(Path("statemachine/engine.asl.json").read_text())
    state_timeout = asl["States"]["ProcessItems"]["ItemProcessor"]["States"]["AiCall"]["TimeoutSeconds"]

    assert timeout * (retries + 1) + retries * BACKOFF_CAP_SECONDS <= budget < lambda_timeout < state_timeout
    worst = float(parameters["AiTimeoutSeconds"]["MaxValue"]) * (
        int(parameters["AiMaxRetries"]["MaxValue"]) + 1
    )
    assert worst < lambda_timeout  # the largest allowed settings still fit
    assert call_budget_seconds() == 240.0 < lambda_timeout
    assert lease_seconds() > call_budget_seconds()


# ---------------------------------------------------------------- model settings
def test_a_cut_off_answer_may_retry_with_a_larger_budget_only_where_the_model_allows():
    assert larger_max_tokens(ModelConfig("gpt-4o-mini", 8000, 0.3, None)) == 16000
    assert larger_max_tokens(ModelConfig("gpt-4o-mini", 12000, 0.3, None)) == 16384
    assert larger_max_tokens(ModelConfig("gpt-4o-mini", 16384, 0.3, None)) is None
    assert larger_max_tokens(ModelConfig("llama3.1", 4000, 0.3, None)) is None  # unknown limit


def test_account_settings_are_validated(env):
    with pytest.raises(InputInvalid, match="model 'gpt-2' is not supported"):
        validate_account_ai_settings({"model": "gpt-2"})
    with pytest.raises(InputInvalid, match="temperature must be between 0 and 2"):
        validate_account_ai_settings({"temperature": 2.5})
    with pytest.raises(InputInvalid, match="temperature must be a number"):
        validate_account_ai_settings({"temperature": True})
    with pytest.raises(InputInvalid, match="max_tokens must be between 256 and 16384"):
        validate_account_ai_settings({"model": "gpt-4o-mini", "max_tokens": 50000})
    with pytest.raises(InputInvalid, match="unknown AI setting"):
        validate_account_ai_settings({"modle": "gpt-4o"})
    with pytest.raises(InputInvalid, match="allowed_models needs base_url"):
        validate_account_ai_settings({"allowed_models": ["llama3.1"], "model": "llama3.1"})
    with pytest.raises(InputInvalid, match="unknown function"):
        validate_account_ai_settings({"functions": {"write_poem": {"model": "gpt-4o"}}})
    with pytest.raises(InputInvalid, match="base_url must not carry credentials"):
        validate_account_ai_settings({"base_url": "https://user:pw@example.com/v1"})
    with pytest.raises(InputInvalid, match="base_url must use https"):
        validate_account_ai_settings({"base_url": "http://127.0.0.1:11434/v1/"})

    env(AI_ALLOW_LOOPBACK="true")  # local development: an account's endpoint on loopback
    ollama = validate_account_ai_settings(
        {
            "base_url": "http://127.0.0.1:11434/v1/",
            "allowed_models": ["llama3.1"],
            "model": "llama3.1",
            "functions": {"generate_article": {"temperature": 0.9, "max_tokens": 4000}},
            "structured_outputs": False,
        }
    )
    assert ollama["base_url"] == "http://127.0.0.1:11434/v1" and ollama["model"] == "llama3.1"
    assert ollama["functions"] == {"generate_content": {"temperature": 0.9, "max_tokens": 4000}}


def test_the_key_is_kept_replaced_or_dropped_and_never_shown(env, monkeypatch):
    public = [(2, 1, 6, "", ("93.184.215.14", 443))]
    monkeypatch.setattr("socket.getaddrinfo", lambda *args, **kwargs: public)
    stored = validate_account_ai_settings({"model": "gpt-4o", "api_key": "sk-account-key-999999"})
    assert stored["api_key"] == "sk-account-key-999999"
    kept = validate_account_ai_settings({"model": "gpt-4.1"}, stored)
    assert kept["api_key"] == "sk-account-key-999999"
    removed = validate_account_ai_settings({"model": "gpt-4.1", "api_key": None}, stored)
    assert "api_key" not in removed
    moved = validate_account_ai_settings({"base_url": "https://other.example.com/v1"}, stored)
    assert "api_key" not in moved  # a key is never sent to an endpoint it was not given for
    view = redacted_ai_settings(stored)
    assert view["api_key_set"] is True and "sk-account-key-999999" not in json.dumps(view)
