"""Model settings (the seed's settings.py): a function's MODEL_CONFIG, overridden per account.

Each AI function declares its own defaults (``BaseAIFunction.model_defaults``: max_tokens,
temperature, response_format); the deployment supplies the default model (OPENAI_MODEL). An
account's ``IntegrationSettings`` row (the seed's IntegrationSettings, integration_type
"openai") may override, in its config: ``model``, ``temperature``, ``max_tokens`` for all
functions, ``functions: {name: {...}}`` per function, ``structured_outputs`` (None: by model),
and its own endpoint (``base_url``, ``api_key``) for any OpenAI-compatible server with
``allowed_models`` naming the models that server offers. The config is validated and stored by
``shared.services.ai_settings``; this module only resolves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from shared.ai.catalogue import chat_model, embedding_model, supported_chat_models
from shared.ai.embeddings import DEFAULT_DIMENSIONS, EmbeddingConfig
from shared.config import get_settings
from shared.db.models import IntegrationSettings
from shared.db.repo import get_one
from shared.errors import InputInvalid

#: How much larger the retry of an answer cut off at the token limit may ask for.
LENGTH_RETRY_FACTOR = 2
#: The keys of a function's model settings (defaults, account-wide and per-function overrides).
FUNCTION_SETTING_KEYS = ("model", "temperature", "max_tokens", "response_format", "structured_outputs")


@dataclass(frozen=True)
class ModelConfig:
    model: str
    max_tokens: int
    temperature: float
    response_format: str | None
    base_url: str | None = None
    api_key: str | None = None
    structured_outputs: bool | None = None  # None: decided by the model (catalogue)

    def public(self) -> dict[str, Any]:
        """The config without the key, safe to log and store."""
        data = asdict(self)
        data.pop("api_key")
        if data.get("base_url"):
            data["base_url"] = redact_url(data["base_url"])
        return data

    @property
    def uses_structured_outputs(self) -> bool:
        if self.structured_outputs is not None:
            return bool(self.structured_outputs)
        return supports_structured_outputs(self.model)


def max_output_tokens(model: str) -> int | None:
    """The model's largest answer in tokens, or None when the model is not in the catalogue."""
    entry = chat_model(model)
    return entry.max_output_tokens if entry is not None else None


def supports_structured_outputs(model: str) -> bool:
    entry = chat_model(model)
    return bool(entry and entry.structured_outputs)


def larger_max_tokens(config: ModelConfig) -> int | None:
    """The budget of a retry after an answer was cut off, or None when the model allows no more."""
    limit = max_output_tokens(config.model)
    if limit is None or config.max_tokens >= limit:
        return None
    return min(limit, config.max_tokens * LENGTH_RETRY_FACTOR)


def call_budget_seconds() -> float:
    """Seconds one AI_CALL may spend on the provider (AI_CALL_BUDGET_SECONDS, validated in Settings).

    Below the AI_CALL Lambda's timeout (300 s in template.yaml), itself below the state's
    TimeoutSeconds (330 s in engine.asl.json); see docs/decisions/ai-layer.md.
    """
    return float(get_settings().ai_call_budget_seconds)


def redact_url(url: str) -> str:
    """A URL without user info or query (either may carry a key)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return f"{parts.scheme}://{host}{parts.path}"


# ---------------------------------------------------------------- per account
def account_ai_config(account_id: str | None) -> dict[str, Any]:
    """The account's stored AI settings (the IntegrationSettings config), or {}."""
    if not account_id:
        return {}
    row = get_one(IntegrationSettings, account_id, "openai")
    return dict(row.config or {}) if row is not None and row.is_active else {}


def get_model_config(
    function_name: str,
    defaults: Mapping[str, Any],
    account_id: str | None = None,
    model_override: str | None = None,
    account_config: Mapping[str, Any] | None = None,
) -> ModelConfig:
    """The model configuration of one function: its defaults, then the account's overrides."""
    settings = get_settings()
    base: dict[str, Any] = {"model": settings.default_model, "structured_outputs": None, **defaults}
    account = dict(account_config) if account_config is not None else account_ai_config(account_id)
    for source in (account, (account.get("functions") or {}).get(function_name) or {}):
        for key in FUNCTION_SETTING_KEYS:
            if source.get(key) is not None:
                base[key] = source[key]
    config = ModelConfig(
        model=str(base["model"]),
        max_tokens=int(base["max_tokens"]),
        temperature=float(base["temperature"]),
        response_format=base.get("response_format"),
        base_url=account.get("base_url") or None,
        api_key=account.get("api_key") or None,
        structured_outputs=base.get("structured_outputs"),
    )
    if model_override:
        config = replace(config, model=model_override)
    return config


def allowed_models(account_config: Mapping[str, Any] | None = None) -> tuple[str, ...]:
    """Models an account may use: the catalogue's chat models, the deployment's default model, and
    the models the account names for its own endpoint (only when it sets a custom base_url)."""
    models = list(supported_chat_models())
    default = get_settings().default_model
    if default not in models:
        models.append(default)
    config = account_config or {}
    if config.get("base_url"):
        models.extend(m for m in config.get("allowed_models") or [] if m not in models)
    return tuple(models)


def check_model_allowed(model: str, account_id: str | None) -> None:
    """Raise InputInvalid when the account may not use ``model``."""
    models = allowed_models(account_ai_config(account_id))
    if model not in models:
        raise InputInvalid(f"model {model!r} is not supported; choose one of: {', '.join(models)}")


def get_embedding_config(
    account_id: str | None = None, account_config: Mapping[str, Any] | None = None
) -> EmbeddingConfig:
    """The account's embedding model and dimensions (``embedding_model``, ``embedding_dimensions``),
    served by the account's endpoint when it set one, else the deployment's."""
    account = dict(account_config) if account_config is not None else account_ai_config(account_id)
    model = str(account.get("embedding_model") or get_settings().default_embedding_model)
    entry = embedding_model(model)
    dimensions = account.get("embedding_dimensions")
    if dimensions is None:
        supports = entry.supports_dimensions if entry is not None else False
        dimensions = DEFAULT_DIMENSIONS if supports else None
    return EmbeddingConfig(
        model=model,
        dimensions=int(dimensions) if dimensions else None,
        base_url=account.get("base_url") or None,
        api_key=account.get("api_key") or None,
    )
