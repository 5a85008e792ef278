"""AICore (the seed's ai_core.py): one place where AI requests are made, and extract_json.

The provider is chosen per call: OpenAI (or any OpenAI-compatible endpoint) when a key is
configured for the account or the deployment, the offline local provider otherwise. The
OpenAI SDK is imported only by the OpenAI provider, i.e. only in the AI_CALL Lambda.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.ai.pricing import cost_of
from shared.ai.settings import ModelConfig
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

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens


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


class AICore:
    """Makes AI requests for one account."""

    def __init__(self, account_id: str | None = None) -> None:
        self.account_id = account_id

    def run_ai_request(
        self,
        prompt: str,
        config: ModelConfig,
        function_name: str,
        offline_answer: Callable[[], Any] | None = None,
        step_tracker: StepTracker | None = None,
    ) -> AIResult:
        """Send ``prompt`` with ``config``; offline, ``offline_answer`` computes the answer locally."""
        from shared.ai.providers import resolve_api_key

        api_key = config.api_key or resolve_api_key()
        tracker = step_tracker or StepTracker()
        if api_key:
            from shared.ai.providers.openai_provider import OpenAIProvider

            tracker.add_request_step("AI_REQUEST", message=f"{config.model} via OpenAI-compatible API")
            result = OpenAIProvider(api_key=api_key, base_url=config.base_url).complete(prompt, config)
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
            )
        result.cost = cost_of(result.model, result.input_tokens, result.output_tokens)
        tracker.add_response_step(
            "AI_RESPONSE",
            message=f"{result.total_tokens} tokens, finish_reason={result.finish_reason}",
        )
        return result

    @staticmethod
    def extract_json(text: str | None) -> Any | None:
        return extract_json(text)
