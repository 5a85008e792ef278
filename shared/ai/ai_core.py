"""AICore (the seed's ai_core.py): one place where AI requests are made, and extract_json.

The provider is chosen per call: OpenAI (or any OpenAI-compatible endpoint) when a key is
configured for the account or the deployment, or the account set its own endpoint; the offline
local provider otherwise. The OpenAI SDK is imported only by the OpenAI provider, i.e. only in
the AI_CALL Lambda. Every provider call holds one of the account's concurrency slots, and
every answer carries its token usage and cost (``AIResult.usage_record``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.ai.model_settings import ModelConfig
from shared.ai.pricing import cost_of
from shared.ai.tracker import StepTracker

LOCAL_MODEL = "igny8-local-offline"
_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


@dataclass
class AIResult:
    """A model answer with its accounting."""

    content: str
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    finish_reason: str | None = "stop"
    offline: bool = False
    provider: str = "openai"
    extra: dict[str, Any] = field(default_factory=dict)
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    attempts: int = 1
    max_tokens: int | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def refusal(self) -> str | None:
        value = self.extra.get("refusal")
        return str(value) if value else None

    def usage_record(self, phase: str) -> dict[str, Any]:
        """What the job records of this call (per phase): tokens, cost, model, outcome."""
        return {
            "phase": phase,
            "model": self.model,
            "provider": self.provider,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost": self.cost,
            "finish_reason": self.finish_reason,
            "max_tokens": self.max_tokens,
            "attempts": self.attempts,
            "offline": self.offline,
        }


def extract_json(text: str | None) -> Any | None:
    """The JSON value in a model answer: bare, in a markdown fence, or with prose around it.

    Returns None when no JSON object or array can be found.
    """
    if not text:
        return None
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    for match in _FENCE.finditer(stripped):
        try:
            return json.loads(match.group(1).strip())
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    for index, char in enumerate(stripped):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(stripped, index)
            except ValueError:
                continue
            if isinstance(value, dict | list):
                return value
    return None


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) for the offline provider, which has no usage."""
    return max(1, (len(text) + 3) // 4)


#: The key sent to an account's own endpoint when it configured none (Ollama, vLLM): the
#: deployment's OpenAI key is never sent to an endpoint an account chose.
NO_KEY = "no-key-configured"


class AICore:
    """Makes AI requests for one account."""

    def __init__(self, account_id: str | None = None) -> None:
        self.account_id = account_id

    @staticmethod
    def provider_credentials(config: ModelConfig) -> tuple[str | None, str | None]:
        """(api_key, base_url) for a call, or (None, None) for the offline local provider.

        The account's endpoint gets the account's key only; the deployment's key goes only to
        the deployment's endpoint (OPENAI_BASE_URL, else OpenAI).
        """
        if config.base_url:
            return config.api_key or NO_KEY, config.base_url
        if config.api_key:
            return config.api_key, None
        from shared.ai.providers import resolve_api_key

        key = resolve_api_key()
        return (key, None) if key else (None, None)

    def run_ai_request(
        self,
        prompt: str,
        config: ModelConfig,
        function_name: str,
        offline_answer: Callable[[], Any] | None = None,
        step_tracker: StepTracker | None = None,
        response_model: Any = None,
        deadline: float | None = None,
    ) -> AIResult:
        """Send ``prompt`` with ``config``; offline, ``offline_answer`` computes the answer locally.

        ``response_model`` (a pydantic model) is sent as a JSON schema to models that support
        structured outputs; ``deadline`` (``time.monotonic()``) bounds the call and its retries.
        Provider calls hold one of the account's concurrency slots (``shared.ai.concurrency``).
        """
        api_key, base_url = self.provider_credentials(config)
        tracker = step_tracker or StepTracker()
        if api_key:
            from shared.ai.concurrency import account_slot
            from shared.ai.providers.openai_provider import OpenAIProvider

            provider = OpenAIProvider(api_key=api_key, base_url=base_url)
            mode = (
                "structured outputs"
                if response_model is not None and config.uses_structured_outputs
                else ("JSON mode" if config.response_format == "json_object" else "text")
            )
            tracker.add_request_step(
                "AI_REQUEST",
                message=f"{config.model} via OpenAI-compatible API at {provider.host} "
                f"(max_tokens={config.max_tokens}, {mode})",
            )
            with account_slot(self.account_id):
                result = provider.complete(
                    prompt, config, response_model=response_model, deadline=deadline, step_tracker=tracker
                )
        else:
            if offline_answer is None:
                from shared.errors import AIProviderError

                raise AIProviderError(f"no OpenAI API key configured and {function_name} has no offline mode")
            tracker.add_request_step("AI_REQUEST", message="offline local provider (no API key configured)")
            content = json.dumps(offline_answer(), ensure_ascii=False)
            result = AIResult(
                content=content,
                model=LOCAL_MODEL,
                input_tokens=estimate_tokens(prompt),
                output_tokens=estimate_tokens(content),
                finish_reason="stop",
                offline=True,
                provider="local",
                max_tokens=config.max_tokens,
            )
        result.cost = cost_of(
            result.model, result.input_tokens, result.output_tokens, result.cached_input_tokens
        )
        tracker.add_response_step(
            "AI_RESPONSE",
            message=f"{result.total_tokens} tokens (in {result.input_tokens}, out {result.output_tokens}), "
            f"cost ${result.cost:.6f}, finish_reason={result.finish_reason}, attempts={result.attempts}",
        )
        return result

    @staticmethod
    def extract_json(text: str | None) -> Any | None:
        return extract_json(text)
