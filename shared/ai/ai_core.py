"""AICore (the seed's ai_core.py): one place where AI requests are made, and extract_json.

The provider is chosen per call: OpenAI (or any OpenAI-compatible endpoint) when a key is
configured for the account or the deployment, or the account set its own endpoint; the offline
local provider otherwise. The OpenAI SDK is imported only by the OpenAI provider, i.e. only in
the AI_CALL Lambda. Every provider call holds one of the account's concurrency slots, and
every answer carries its token usage and cost (``AIResult.usage_record``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import shared.clustering as clustering  # numpy loads on first use, not here
from shared.ai.concurrency import account_slot
from shared.ai.embeddings import EmbeddingConfig, EmbeddingResult, clip
from shared.ai.embeddings import estimate_tokens as estimate_embedding_tokens
from shared.ai.model_settings import ModelConfig
from shared.ai.outbound import EndpointRefused, check_account_endpoint
from shared.ai.pricing import cost_of
from shared.ai.providers import resolve_api_key
from shared.ai.results import AIResult, extract_json
from shared.ai.tracker import StepTracker
from shared.errors import AIProviderError

LOCAL_MODEL = "igny8-local-offline"


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
    def provider_credentials(config: ModelConfig | EmbeddingConfig) -> tuple[str | None, str | None]:
        """(api_key, base_url) for a call, or (None, None) for the offline local provider.

        The account's endpoint gets the account's key only; the deployment's key goes only to
        the deployment's endpoint (OPENAI_BASE_URL, else OpenAI).
        """
        if config.base_url:
            return config.api_key or NO_KEY, config.base_url
        if config.api_key:
            return config.api_key, None
        key = resolve_api_key()
        return (key, None) if key else (None, None)

    @staticmethod
    def check_endpoint(base_url: str | None) -> None:
        """Refuse, right before a call, an account endpoint the outbound rules do not allow.

        ``base_url`` is the account's own (``provider_credentials`` gives one only then); it was
        checked when saved, and is checked again here because its DNS may have changed since.
        Not worth retrying: the same address would be refused again.
        """
        if not base_url:
            return
        try:
            check_account_endpoint(base_url)
        except EndpointRefused as exc:
            raise AIProviderError(f"the account's AI endpoint was not called: {exc}") from None

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
            from shared.ai.providers.openai_provider import OpenAIProvider  # the SDK: AI_CALL only

            self.check_endpoint(base_url)
            provider = OpenAIProvider(api_key=api_key, base_url=base_url, account_endpoint=bool(base_url))
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

    def run_embedding_request(
        self,
        texts: list[str],
        config: EmbeddingConfig,
        step_tracker: StepTracker | None = None,
        deadline: float | None = None,
    ) -> EmbeddingResult:
        """Embed one batch (the caller plans batches within the endpoint's limits).

        With a key: the account's or deployment's OpenAI-compatible endpoint, holding one of the
        account's concurrency slots. Without: the offline local embedder (its own model name and
        dimensions, marked offline, free).
        """
        api_key, base_url = self.provider_credentials(config)
        tracker = step_tracker or StepTracker()
        clipped = [clip(t) for t in texts]
        if api_key:
            from shared.ai.providers.openai_provider import OpenAIProvider  # the SDK: AI_CALL only

            self.check_endpoint(base_url)
            provider = OpenAIProvider(api_key=api_key, base_url=base_url, account_endpoint=bool(base_url))
            tracker.add_request_step(
                "EMBED_REQUEST",
                message=f"{len(texts)} input(s) to {config.model} (dimensions={config.dimensions}) "
                f"via OpenAI-compatible API at {provider.host}",
            )
            with account_slot(self.account_id):
                vectors, tokens, attempts = provider.embed(
                    clipped, config.model, config.dimensions, deadline=deadline, step_tracker=tracker
                )
            result = EmbeddingResult(
                vectors=vectors,
                model=config.model,
                dimensions=len(vectors[0]) if vectors else int(config.dimensions or 0),
                input_tokens=tokens,
                cost=cost_of(config.model, tokens, 0),
                attempts=attempts,
            )
        else:
            tracker.add_request_step(
                "EMBED_REQUEST", message="offline local embedder (no API key configured)"
            )
            matrix = clustering.embed_local(clipped, dims=clustering.LOCAL_EMBEDDING_DIMS)
            result = EmbeddingResult(
                vectors=matrix.tolist(),
                model=clustering.LOCAL_EMBEDDING_MODEL,
                dimensions=clustering.LOCAL_EMBEDDING_DIMS,
                input_tokens=sum(estimate_embedding_tokens(t) for t in clipped),
                offline=True,
                provider="local",
            )
        tracker.add_response_step(
            "EMBED_RESPONSE",
            message=f"{len(result.vectors)} vector(s) of {result.dimensions} dims, {result.input_tokens} tokens, "
            f"cost ${result.cost:.6f}, attempts={result.attempts}",
        )
        return result

    @staticmethod
    def extract_json(text: str | None) -> Any | None:
        return extract_json(text)
