"""Embeddings: batches within the endpoint's limits, one request per batch, usage and cost.

Any OpenAI-compatible ``/v1/embeddings`` endpoint (OpenAI, Azure OpenAI, Ollama, vLLM) through the
``openai`` SDK, with the same bounded retries, deadline and per-account concurrency slot as chat
calls (``AICore.run_embedding_request``). Offline (no key configured) the local hashed embedder
of ``shared.clustering`` answers, so the same pipeline runs without a provider; its vectors are
marked offline and cost nothing.

The endpoint's limits are in the model catalogue (2,048 inputs and 300,000 tokens a request,
8,192 tokens an input for OpenAI's models). Tokens are estimated here without a tokenizer
(tiktoken downloads its files at first use): one token per 3 UTF-8 bytes, which over-counts
English text (about 4 bytes a token), so a planned batch never exceeds the real limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.ai.catalogue import DEFAULT_EMBEDDING_MODEL, EmbeddingModel, embedding_model

#: Bytes per token for the conservative estimate.
BYTES_PER_TOKEN = 3
#: Longest keyword text embedded (characters); longer text is cut, never sent whole.
MAX_TEXT_CHARS = 2000
DEFAULT_DIMENSIONS = 256


@dataclass(frozen=True)
class EmbeddingConfig:
    """Which embedding model an account uses, and where it is served."""

    model: str = DEFAULT_EMBEDDING_MODEL
    dimensions: int | None = DEFAULT_DIMENSIONS
    base_url: str | None = None
    api_key: str | None = None

    @property
    def limits(self) -> EmbeddingModel:
        """The model's request limits (a model missing from the catalogue gets OpenAI's)."""
        return embedding_model(self.model) or EmbeddingModel(self.model, self.dimensions or 0, True, 0.0)

    @property
    def cache_tag(self) -> str:
        """What a cached vector was made with: model and dimensions."""
        return f"{self.model}#{self.dimensions or 'full'}"


@dataclass
class EmbeddingResult:
    """The vectors of one batch (float lists, input order) with their accounting."""

    vectors: list[list[float]]
    model: str
    dimensions: int
    input_tokens: int = 0
    cost: float = 0.0
    attempts: int = 1
    offline: bool = False
    provider: str = "openai"
    extra: dict[str, Any] = field(default_factory=dict)

    def usage_record(self, phase: str) -> dict[str, Any]:
        return {
            "phase": phase,
            "model": self.model,
            "provider": self.provider,
            "input_tokens": self.input_tokens,
            "output_tokens": 0,
            "cached_input_tokens": 0,
            "reasoning_tokens": 0,
            "cost": self.cost,
            "finish_reason": "stop",
            "max_tokens": None,
            "attempts": self.attempts,
            "offline": self.offline,
            "inputs": len(self.vectors),
        }


def estimate_tokens(text: str) -> int:
    return max(1, -(-len(text.encode()) // BYTES_PER_TOKEN))


def clip(text: str) -> str:
    return text[:MAX_TEXT_CHARS]


def plan_batches(texts: Sequence[str], limits: EmbeddingModel) -> list[tuple[int, int]]:
    """``[(start, end)]`` slices of ``texts`` that each fit one request of the endpoint."""
    batches: list[tuple[int, int]] = []
    start, tokens = 0, 0
    budget = int(limits.max_request_tokens * 0.9)  # headroom over the estimate
    for index, text in enumerate(texts):
        cost = min(estimate_tokens(clip(text)), limits.max_input_tokens)
        if index > start and (index - start >= limits.max_inputs or tokens + cost > budget):
            batches.append((start, index))
            start, tokens = index, 0
        tokens += cost
    if start < len(texts):
        batches.append((start, len(texts)))
    return batches
