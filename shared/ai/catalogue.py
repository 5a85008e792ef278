"""The model catalogue: every model the service knows, with its limits and prices, in one table.

Chat models carry their largest answer (output tokens), whether they accept structured outputs
(``response_format: json_schema``) and their prices in USD per 1M tokens; embedding models carry
their vector size, whether they accept ``dimensions`` and their price. Dated snapshots
(``gpt-4o-mini-2024-07-18``) match their longest known prefix. Every other list of models in the
project (supported models, output limits, prices) is derived from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChatModel:
    name: str
    max_output_tokens: int
    structured_outputs: bool
    input_price: float  # USD per 1M input tokens
    output_price: float  # USD per 1M output tokens
    cached_input_price: float | None = None  # None: the input price
    reasoning: bool = False  # takes max_completion_tokens and no temperature


@dataclass(frozen=True)
class EmbeddingModel:
    name: str
    dimensions: int  # the full vector size
    supports_dimensions: bool  # accepts a smaller ``dimensions`` (Matryoshka)
    input_price: float  # USD per 1M input tokens
    max_inputs: int = 2048  # inputs per request
    max_request_tokens: int = 300_000  # tokens summed over one request
    max_input_tokens: int = 8192  # tokens of one input


CHAT_MODELS: tuple[ChatModel, ...] = (
    ChatModel("gpt-4.1", 32768, True, 2.00, 8.00, 0.50),
    ChatModel("gpt-4.1-mini", 32768, True, 0.40, 1.60, 0.10),
    ChatModel("gpt-4.1-nano", 32768, True, 0.10, 0.40, 0.025),
    ChatModel("gpt-4o", 16384, True, 2.50, 10.00, 1.25),
    ChatModel("gpt-4o-mini", 16384, True, 0.15, 0.60, 0.075),
    ChatModel("gpt-4-turbo", 4096, False, 10.00, 30.00),
    ChatModel("gpt-3.5-turbo", 4096, False, 0.50, 1.50),
    ChatModel("o3", 100000, True, 2.00, 8.00, 0.50, reasoning=True),
    ChatModel("o3-mini", 100000, True, 1.10, 4.40, 0.55, reasoning=True),
    ChatModel("o4-mini", 100000, True, 1.10, 4.40, 0.275, reasoning=True),
    ChatModel("gpt-5", 128000, True, 1.25, 10.00, 0.125, reasoning=True),
    ChatModel("gpt-5-mini", 128000, True, 0.25, 2.00, 0.025, reasoning=True),
    ChatModel("gpt-5-nano", 128000, True, 0.05, 0.40, 0.005, reasoning=True),
)

EMBEDDING_MODELS: tuple[EmbeddingModel, ...] = (
    EmbeddingModel("text-embedding-3-small", 1536, True, 0.02),
    EmbeddingModel("text-embedding-3-large", 3072, True, 0.13),
    EmbeddingModel("text-embedding-ada-002", 1536, False, 0.10),
)

#: The offline local provider: free, never sent anywhere.
LOCAL_CHAT_MODEL = "igny8-local-offline"
DEFAULT_EMBEDDING_MODEL = "text-embedding-3-small"

_CHAT = {m.name: m for m in CHAT_MODELS}
_EMBEDDING = {m.name: m for m in EMBEDDING_MODELS}


def _by_prefix(table: dict[str, ChatModel] | dict[str, EmbeddingModel], model: str) -> str | None:
    if model in table:
        return model
    return max((name for name in table if model.startswith(name)), key=len, default=None)


def chat_model(model: str) -> ChatModel | None:
    """The catalogue entry of a chat model (exact name, else its longest known prefix), or None."""
    name = _by_prefix(_CHAT, model)
    return _CHAT[name] if name else None


def embedding_model(model: str) -> EmbeddingModel | None:
    name = _by_prefix(_EMBEDDING, model)
    return _EMBEDDING[name] if name else None


def supported_chat_models() -> tuple[str, ...]:
    return tuple(_CHAT)


def supported_embedding_models() -> tuple[str, ...]:
    return tuple(_EMBEDDING)


def default_prices() -> dict[str, dict[str, float]]:
    """USD per 1M tokens of every catalogued model (the price table before overrides)."""
    table: dict[str, dict[str, float]] = {}
    for chat in CHAT_MODELS:
        table[chat.name] = {"input": chat.input_price, "output": chat.output_price}
        table[chat.name]["cached_input"] = (
            chat.cached_input_price if chat.cached_input_price is not None else chat.input_price
        )
    for emb in EMBEDDING_MODELS:
        table[emb.name] = {"input": emb.input_price, "output": 0.0, "cached_input": emb.input_price}
    table[LOCAL_CHAT_MODEL] = {"input": 0.0, "output": 0.0, "cached_input": 0.0}
    return table
