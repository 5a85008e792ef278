"""OpenAI (and any OpenAI-compatible endpoint) through the official SDK.

Time is bounded explicitly. The SDK's own retries are off (``max_retries=0``): its defaults
(10 minutes a try, and up to 2 minutes of Retry-After sleep between tries) could outlive the
Lambda. Instead this module makes at most ``AI_MAX_RETRIES + 1`` attempts, each with a timeout
of ``min(AI_TIMEOUT_SECONDS, time left)``, inside one deadline for the whole AI_CALL
(``AI_CALL_BUDGET_SECONDS``, below the Lambda timeout). 429, 408/409 and 5xx answers, timeouts
and connection errors are retried with exponential backoff and full jitter, honouring the
provider's ``retry-after-ms`` / ``retry-after``; a wait that does not fit in the time left, or
the last failed attempt, raises ``AIProviderTransient`` so the state machine retries later
(its own backoff) and, when its retries run out, the job fails with the provider's reason.
Other 4xx answers raise ``AIProviderError`` at once. See docs/decisions/ai-layer.md.

The API key never appears in an error message: every provider text goes through ``redact``.
"""

from __future__ import annotations

import email.utils
import hashlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import openai
from openai import OpenAI

from shared.ai.catalogue import chat_model
from shared.ai.model_settings import ModelConfig, call_budget_seconds
from shared.ai.providers import redact, remember_secret
from shared.ai.results import AIResult
from shared.ai.schemas import json_schema_format
from shared.ai.tracker import StepTracker
from shared.config import get_settings
from shared.errors import AIProviderError, AIProviderTransient, AIResponseInvalid

_CLIENTS: dict[tuple[str | None, str, bool], OpenAI] = {}
#: No attempt starts with less time than this left in the call's budget.
MIN_ATTEMPT_SECONDS = 1.0
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
RETRYABLE_STATUSES = frozenset({408, 409, 429})
#: 429 codes that no wait will fix.
NOT_RETRYABLE_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})
REASON_LIMIT = 300


def _client(api_key: str, base_url: str | None, account_endpoint: bool = False) -> OpenAI:
    """The SDK client of one endpoint and key (cached per warm Lambda).

    An account's own endpoint gets a client that does not follow redirects: a redirect could
    send the request to an address the outbound rules refuse (``shared.ai.outbound``).
    """
    cache_key = (base_url, hashlib.sha256(api_key.encode()).hexdigest(), account_endpoint)
    client = _CLIENTS.get(cache_key)
    if client is None:
        client = OpenAI(
            api_key=api_key,
            base_url=base_url,
            timeout=get_settings().ai_timeout_seconds,
            max_retries=0,  # retries are ours: bounded by the call's deadline, see the module doc
            http_client=openai.DefaultHttpxClient(follow_redirects=False) if account_endpoint else None,
        )
        _CLIENTS[cache_key] = client
    return client


@dataclass(frozen=True)
class Failure:
    """A failed attempt, classified."""

    transient: bool
    message: str
    retry_after: float | None = None


def retry_after_seconds(headers: Any) -> float | None:
    """The provider's requested wait: ``retry-after-ms``, else ``retry-after`` (seconds or a date)."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    value = headers.get("retry-after")
    if value:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(parsed.timestamp() - time.time(), 0.0)
    return None


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base * 2**(attempt-1)))."""
    return random.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))


def _reason(exc: Exception, api_key: str | None = None) -> str:
    """The provider's own reason, without anything that could carry the key."""
    body = getattr(exc, "body", None)
    text = ""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict) and error.get("message"):
            text = str(error["message"])
        elif isinstance(error, str):
            text = error
    if not text:
        text = str(getattr(exc, "message", "") or exc)
    return redact(text, api_key)[:REASON_LIMIT]


def classify(exc: Exception, timeout: float, api_key: str | None = None) -> Failure:
    if isinstance(exc, openai.APITimeoutError):
        return Failure(True, f"the provider did not answer within {timeout:.3g}s (timeout)")
    if isinstance(exc, openai.APIConnectionError):
        return Failure(True, f"could not connect to the provider: {_reason(exc, api_key)}")
    if isinstance(exc, openai.APIStatusError):
        status = int(exc.status_code)
        reason = _reason(exc, api_key)
        code = str(getattr(exc, "code", "") or "")
        if status == 429 and code in NOT_RETRYABLE_CODES:
            return Failure(False, f"the provider refused the request (429 {code}): {reason}")
        wait = retry_after_seconds(getattr(exc.response, "headers", None))
        if status == 429:
            return Failure(True, f"rate limited by the provider (429): {reason}", wait)
        if status in RETRYABLE_STATUSES or status >= 500:
            return Failure(True, f"provider error {status}: {reason}", wait)
        return Failure(False, f"the provider refused the request ({status}): {reason}")
    if isinstance(exc, openai.OpenAIError):
        return Failure(False, f"the provider's answer could not be read: {_reason(exc, api_key)}")
    raise exc


class OpenAIProvider:
    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        account_endpoint: bool = False,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url or get_settings().openai_base_url
        # An account's own base_url (not the deployment's): its client follows no redirects.
        self.account_endpoint = account_endpoint and bool(base_url)
        self.sleep = sleep
        self.clock = clock
        remember_secret(api_key)

    @property
    def host(self) -> str:
        if not self.base_url:
            return "api.openai.com"
        return urlsplit(self.base_url).hostname or ""

    def request_args(self, prompt: str, config: ModelConfig, response_model: Any = None) -> dict[str, Any]:
        args: dict[str, Any] = {
            "model": config.model,
            "messages": [{"role": "user", "content": prompt}],
        }
        entry = chat_model(config.model)
        if entry is not None and entry.reasoning:
            args["max_completion_tokens"] = config.max_tokens
        else:
            args["max_tokens"] = config.max_tokens
            args["temperature"] = config.temperature
        if response_model is not None and config.uses_structured_outputs:
            args["response_format"] = json_schema_format(response_model)
        elif config.response_format == "json_object":
            args["response_format"] = {"type": "json_object"}
        return args

    def complete(
        self,
        prompt: str,
        config: ModelConfig,
        response_model: Any = None,
        deadline: float | None = None,
        step_tracker: StepTracker | None = None,
    ) -> AIResult:
        """One answer, within ``deadline`` (a ``time.monotonic()`` value) and the retry budget."""
        client = _client(self.api_key, self.base_url, self.account_endpoint)
        args = self.request_args(prompt, config, response_model)
        response, attempts = self.with_retries(
            lambda timeout: client.chat.completions.create(**args, timeout=timeout), deadline, step_tracker
        )
        return self._result(response, config, attempts)

    def embed(
        self,
        texts: list[str],
        model: str,
        dimensions: int | None = None,
        deadline: float | None = None,
        step_tracker: StepTracker | None = None,
    ) -> tuple[list[list[float]], int, int]:
        """Embeddings of ``texts`` in one request: (vectors in input order, prompt tokens, attempts).

        The caller keeps a request within the endpoint's limits (inputs, tokens); see
        ``shared.ai.embeddings``.
        """
        client = _client(self.api_key, self.base_url, self.account_endpoint)
        args: dict[str, Any] = {"model": model, "input": texts, "encoding_format": "float"}
        if dimensions:
            args["dimensions"] = dimensions
        response, attempts = self.with_retries(
            lambda timeout: client.embeddings.create(**args, timeout=timeout), deadline, step_tracker
        )
        data = sorted(response.data, key=lambda d: d.index)
        if len(data) != len(texts):
            raise AIResponseInvalid(f"the provider returned {len(data)} embeddings for {len(texts)} inputs")
        tokens = int(getattr(response.usage, "prompt_tokens", 0) or 0)
        return [list(d.embedding) for d in data], tokens, attempts

    def with_retries(
        self,
        request: Callable[[float], Any],
        deadline: float | None = None,
        step_tracker: StepTracker | None = None,
    ) -> tuple[Any, int]:
        """Run ``request(timeout)`` with bounded, classified retries: (response, attempts)."""
        settings = get_settings()
        attempts = int(settings.ai_max_retries) + 1
        deadline = deadline if deadline is not None else self.clock() + call_budget_seconds()
        tracker = step_tracker or StepTracker()
        last = "no attempt was made"
        for attempt in range(1, attempts + 1):
            remaining = deadline - self.clock()
            if remaining < MIN_ATTEMPT_SECONDS:
                raise AIProviderTransient(
                    f"the AI call's time budget ran out after {attempt - 1} attempt(s); last error: {last}"
                )
            timeout = min(float(settings.ai_timeout_seconds), remaining)
            try:
                return request(timeout), attempt
            except Exception as exc:  # noqa: BLE001 - classified below, unknown errors re-raised
                failure = classify(exc, timeout, self.api_key)
                tracker.add_response_step(
                    "AI_ATTEMPT", status="error", message=f"attempt {attempt}: {failure.message}"
                )
                if not failure.transient:
                    raise AIProviderError(failure.message) from None
                last = failure.message
                if attempt == attempts:
                    raise AIProviderTransient(f"{failure.message} (after {attempt} attempt(s))") from None
                wait = failure.retry_after if failure.retry_after is not None else backoff_seconds(attempt)
                if self.clock() + wait + MIN_ATTEMPT_SECONDS > deadline:
                    raise AIProviderTransient(
                        f"{failure.message}; a retry in {wait:.1f}s does not fit in this call's time budget"
                    ) from None
                self.sleep(wait)
        raise AssertionError("unreachable")

    def _result(self, response: Any, config: ModelConfig, attempts: int) -> AIResult:
        if not getattr(response, "choices", None):
            raise AIResponseInvalid("the provider returned no answer (no choices)")
        choice = response.choices[0]
        usage = response.usage
        message = choice.message
        prompt_details = getattr(usage, "prompt_tokens_details", None)
        completion_details = getattr(usage, "completion_tokens_details", None)
        refusal = getattr(message, "refusal", None)
        return AIResult(
            content=message.content or "",
            model=response.model or config.model,
            input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cached_input_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
            reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
            finish_reason=choice.finish_reason,
            provider="openai",
            attempts=attempts,
            max_tokens=config.max_tokens,
            extra={"refusal": redact(refusal, self.api_key) if refusal else None},
        )
